/**
 * Playwright configuration: Galata's defaults, Debian's chromium (Playwright cannot download
 * browsers here), headless, no video (it needs Playwright's own ffmpeg). scripts/ui-test
 * sets up the environment (temporary Jupyter state, server root and KodeLab database).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// The server's port: 8888 unless KODELAB_UI_PORT says otherwise (two runs side by side).
const port = process.env.KODELAB_UI_PORT || '8888';
// Screenshots, traces and the HTML report (scripts/ui-test: one folder per port).
const results = process.env.KODELAB_UI_RESULTS || 'test-results';

module.exports = {
  ...baseConfig,
  // One server, one database: the tests share the KodeLab state, so run them in order.
  workers: 1,
  fullyParallel: false,
  timeout: 180 * 1000,
  expect: { timeout: 30 * 1000 },
  outputDir: `${results}/output`,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: `${results}/report` }]
  ],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    viewport: { width: 1366, height: 800 },
    launchOptions: {
      executablePath: process.env.KODELAB_CHROMIUM || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    command: `jupyter lab --config jupyter_server_test_config.py --port ${port}`,
    url: `http://localhost:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    stderr: 'pipe'
  }
};
