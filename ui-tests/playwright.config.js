/**
 * Playwright configuration: Galata's defaults, Debian's chromium (Playwright cannot download
 * browsers here), headless, no video (it needs Playwright's own ffmpeg). scripts/ui-test
 * sets up the environment (temporary Jupyter state, server root and KodeLab database).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

module.exports = {
  ...baseConfig,
  // One server, one database: the tests share the KodeLab state, so run them in order.
  workers: 1,
  fullyParallel: false,
  timeout: 180 * 1000,
  expect: { timeout: 30 * 1000 },
  outputDir: 'test-results/output',
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'test-results/report' }]
  ],
  use: {
    ...baseConfig.use,
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
    command: 'jupyter lab --config jupyter_server_test_config.py',
    url: 'http://localhost:8888/lab',
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    stderr: 'pipe'
  }
};
