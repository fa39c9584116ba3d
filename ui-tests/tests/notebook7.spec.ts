/**
 * KodeLab in Jupyter Notebook 7 (the `notebook` package, served by the same test server at
 * /tree and /notebooks/<path>): start valid-palindrome through the REST API, open its
 * notebook in the Notebook 7 page, check the challenge toolbar (countdown, Run tests,
 * Submit, Hints), paste the reference solution into the answer cell, submit, and see the
 * accepted verdict in the results panel (Notebook 7's right side panel).
 *
 * A fresh browser context: Galata's `page` fixture expects JupyterLab at /lab.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, test } from '@playwright/test';
import { shot } from './shots';

// An easy challenge no other spec starts (two-sum: kodelab.spec.ts).
const CHALLENGE = 'valid-palindrome';
const SOLUTION = fs
  .readFileSync(
    path.join(__dirname, '..', '..', 'challenges', CHALLENGE, 'solution.py'),
    'utf-8'
  )
  .trim();

test('Notebook 7: challenge toolbar, submit, accepted verdict', async ({
  browser,
  baseURL
}) => {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1366, height: 800 }
  });
  try {
    const page = await context.newPage();
    // Every KodeLab plugin activates in Notebook 7 and none throws. (Only KodeLab's errors:
    // Notebook 7 logs a few of its own, e.g. settings of Lab-only plugins.)
    const problems: string[] = [];
    page.on('console', message => {
      const text = message.text();
      if (message.type() === 'error' && /kodelab/i.test(text)) {
        problems.push(text);
      }
    });
    page.on('pageerror', error => {
      const text = error.stack ?? String(error);
      if (/kodelab/i.test(text)) {
        problems.push(text);
      }
    });

    // -- Notebook 7 is there (its file browser); its _xsrf cookie goes with the API call -----
    await page.goto('/tree');
    await expect(page.locator('#main-panel .jp-DirListing')).toBeVisible();
    const cookies = await context.cookies();
    const xsrf = cookies.find(c => c.name === '_xsrf')?.value ?? '';

    // -- start the challenge through the REST API, as the catalog would ------------------
    const response = await context.request.post(
      `/kodelab/api/challenges/${CHALLENGE}/start`,
      { headers: xsrf ? { 'X-XSRFToken': xsrf } : {}, data: {} }
    );
    expect(response.ok()).toBe(true);
    const started = await response.json();
    expect(started.path).toMatch(new RegExp(`${CHALLENGE}\\.ipynb$`));

    // -- the notebook in Notebook 7, with KodeLab's toolbar --------------------------------
    const url = `/notebooks/${started.path.split('/').map(encodeURIComponent).join('/')}`;
    await page.goto(url);
    const panel = page.locator('.jp-NotebookPanel.kodelab-mod-challenge');
    await expect(panel).toBeVisible();
    const toolbar = panel.locator('.jp-NotebookPanel-toolbar');
    await expect(toolbar.getByRole('timer')).toHaveAccessibleName(
      /^Time left: 1[45]:\d\d$/
    );
    await expect(toolbar.locator('.kodelab-Countdown')).toHaveText(
      /^1[45]:\d\d left$/
    );
    const runTests = toolbar.getByRole('button', {
      name: /^Run tests: save the notebook and run the visible tests/
    });
    const submit = toolbar.getByRole('button', {
      name: /^Submit: save the notebook and grade it on all tests/
    });
    const hints = toolbar.getByRole('button', {
      name: /^Hints: show the hints unlocked so far/
    });
    await expect(runTests).toBeEnabled();
    await expect(submit).toBeEnabled();
    await expect(hints).toBeEnabled();

    // -- the reference solution in the answer cell ----------------------------------------
    const answer = panel
      .locator('.jp-CodeCell')
      .filter({ hasText: 'raise NotImplementedError' })
      .locator('.cm-content');
    await expect(answer).toHaveCount(1);
    await answer.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(SOLUTION);
    await page.keyboard.press('Escape');
    await expect(
      panel.locator('.jp-CodeCell .cm-content').filter({
        hasText: 'cleaned == cleaned[::-1]'
      })
    ).toHaveCount(1);

    // -- submit: the results panel opens in the right side panel with the verdict --------
    await submit.click();
    const results = page.locator('#kodelab-results');
    await expect(results).toBeVisible();
    await expect(results.locator('.kodelab-Verdict')).toHaveAttribute(
      'data-verdict',
      'accepted',
      { timeout: 60 * 1000 }
    );
    await expect(results.locator('.kodelab-Verdict-banner')).toHaveText(
      '✓ Accepted: solved! 🎉'
    );
    await expect(results.locator('.kodelab-Verdict-summary')).toContainText(
      /^(\d+)\/\1 passed/
    );
    await expect(submit).toBeEnabled();
    await shot(page, '30-notebook7-accepted');

    // -- the KodeLab sidebar in Notebook 7's left panel (View › Left Sidebar) ----------------
    // (Lumino gives submenu entries no menuitem role: find them by their text.)
    const menuItem = (text: string) =>
      page.locator('.lm-Menu .lm-Menu-item', { hasText: text });
    await page.getByRole('menuitem', { name: 'View', exact: true }).click();
    await menuItem('Left Sidebar').click();
    await menuItem('Show KodeLab challenges').click();
    const catalog = page.locator('#kodelab-catalog');
    await expect(catalog).toBeVisible();
    const item = catalog.locator(`[data-challenge-id="${CHALLENGE}"]`);
    await expect(item.locator('.kodelab-Badge.kodelab-mod-solved')).toHaveText(
      '✓ Solved'
    );
    await shot(page, '31-notebook7-catalog');
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
});
