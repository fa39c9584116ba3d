/**
 * KodeLab in a real JupyterLab (with the KodeLab server extension, its database and the
 * local sandbox): catalog → start two-sum → wrong answer → failing card → fix → accepted →
 * history → view code → restore. Screenshots of the main screens are kept in
 * test-results/screenshots (artifacts, not snapshots to compare with).
 */

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import { shot } from './shots';

const WRONG = 'def two_sum(nums, target): return [1, 0]';
// O(n), first index kept for duplicates: passes the hidden large-input test too.
const RIGHT =
  'def two_sum(nums, target): return next([seen[target - x], j] for seen in [{}] ' +
  'for j, x in enumerate(nums) if target - x in seen or seen.setdefault(x, j) is None)';

// One server and one database: the steps build on each other.
test.describe.configure({ mode: 'serial' });

/** Replace the source of the notebook's answer cell as a user pasting code would. */
async function setAnswer(page: IJupyterLabPageFixture, code: string) {
  const editor = page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')
    .nth(2)
    .locator('.cm-content');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(code);
  await page.keyboard.press('Escape');
}

function answerText(page: IJupyterLabPageFixture): Locator {
  return page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')
    .nth(2)
    .locator('.cm-content');
}

test('the KodeLab extension is installed and enabled', async ({ page }) => {
  await expect(page.sidebar.getTabLocator('kodelab-catalog')).toHaveCount(1);
  await expect(page.sidebar.getTabLocator('kodelab-results')).toHaveCount(1);
});

test('catalog, start, wrong answer, fix, accepted, history, restore', async ({
  page
}) => {
  // -- the sidebar: catalog with filters ---------------------------------------------------
  await page.sidebar.openTab('kodelab-catalog');
  const catalog = page.locator('#kodelab-catalog');
  await expect(catalog.locator('.kodelab-CatalogItem').first()).toBeVisible();
  const total = await catalog.locator('.kodelab-CatalogItem').count();
  expect(total).toBeGreaterThan(5);
  await shot(page, '01-catalog');

  await catalog.getByLabel('Difficulty').selectOption('easy');
  await expect
    .poll(() => catalog.locator('.kodelab-CatalogItem').count())
    .toBeLessThan(total);
  await catalog.getByLabel('Category').selectOption('arrays');
  await catalog.getByLabel('Search').fill('two');
  const twoSum = catalog.locator('[data-challenge-id="two-sum"]');
  await expect(catalog.locator('.kodelab-CatalogItem')).toHaveCount(1);
  await expect(twoSum).toContainText('Two Sum');
  await expect(twoSum).toContainText('Easy');
  await expect(catalog.getByRole('status')).toHaveText('1 challenge, 0 solved');
  await shot(catalog, '02-catalog-filtered');

  // -- start: the server creates the notebook, Lab opens it -------------------------------
  await twoSum.click();
  const panel = page.locator('.jp-NotebookPanel.kodelab-mod-challenge');
  await expect(panel).toBeVisible();
  await expect(page.getByRole('tab', { name: /two-sum\.ipynb/ })).toBeVisible();
  const countdown = panel.locator('.kodelab-Countdown');
  await expect(countdown).toHaveText(/^1[45]:\d\d left$/);
  const toolbar = panel.locator('.jp-NotebookPanel-toolbar');
  const submit = toolbar.getByRole('button', { name: /^Submit/ });
  const runTests = toolbar.getByRole('button', { name: /^Run tests/ });
  await expect(submit).toBeEnabled();
  await shot(page, '03-challenge-notebook');

  // -- a wrong answer: run tests, then submit ------------------------------------------------
  await setAnswer(page, WRONG);
  await runTests.click();
  const results = page.locator('#kodelab-results');
  await expect(results).toBeVisible();
  await expect(results.locator('.kodelab-Verdict-banner')).toHaveText(
    '✗ Visible tests: Wrong answer'
  );

  await submit.click();
  // Buttons are disabled while grading is in flight.
  await expect(submit).toBeDisabled();
  const verdict = results.locator('.kodelab-Verdict');
  await expect(verdict).toHaveAttribute('data-verdict', 'wrong_answer');
  await expect(submit).toBeEnabled();
  await expect(results.locator('.kodelab-Verdict-banner')).toHaveText(
    '✗ Wrong answer'
  );
  await expect(results.locator('.kodelab-Verdict-summary')).toContainText(
    /^\d+\/9 passed · Score \d+ \/ 11/
  );
  const failing = results.locator('[data-test="example"]');
  await expect(failing).toHaveAttribute('data-status', 'failed');
  await expect(failing.locator('.kodelab-TestCard-status')).toHaveText(
    '✗ failed'
  );
  await expect(failing.locator('.kodelab-TestCard-expected')).toHaveText(
    '[0, 1]'
  );
  await expect(failing.locator('.kodelab-TestCard-got')).toHaveText('[1, 0]');
  await expect(results.getByRole('status')).toContainText(
    'Submission: Wrong answer.'
  );
  await shot(page, '04-wrong-answer');

  // A failed submission unlocks a hint.
  await toolbar.getByRole('button', { name: /^Hints/ }).click();
  await expect(results.locator('.kodelab-Hints-title')).toHaveText(
    'Hints (1 of 2 unlocked)'
  );

  // -- fix it and submit with the keyboard shortcut -------------------------------------------
  await setAnswer(page, RIGHT);
  await answerText(page).click();
  await page.keyboard.press('Control+Shift+Enter');
  await expect(results.locator('.kodelab-Verdict')).toHaveAttribute(
    'data-verdict',
    'accepted',
    { timeout: 60 * 1000 }
  );
  await expect(results.locator('.kodelab-Verdict-banner')).toHaveText(
    '✓ Accepted: solved! 🎉'
  );
  await expect(results.locator('.kodelab-Verdict-summary')).toContainText(
    '9/9 passed · Score 11 / 11'
  );
  await shot(page, '05-accepted');

  // -- history: both submissions, newest first -------------------------------------------------
  const items = results.locator('.kodelab-HistoryItem');
  await expect(items).toHaveCount(2);
  await expect(items.nth(0).locator('.kodelab-HistoryItem-verdict')).toHaveText(
    '✓ Accepted'
  );
  await expect(items.nth(1).locator('.kodelab-HistoryItem-verdict')).toHaveText(
    '✗ Wrong answer'
  );
  await expect(items.nth(1).locator('.kodelab-HistoryItem-attempt')).toHaveText(
    'Attempt 1'
  );
  await shot(results, '06-history');

  // View code: the first attempt compared with the current (accepted) answer.
  await items
    .nth(1)
    .getByRole('button', { name: /^View the code of attempt 1/ })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Attempt 1 (Wrong answer)');
  await expect(
    dialog.locator('.kodelab-Diff-line.kodelab-mod-added')
  ).toContainText('return [1, 0]');
  await expect(
    dialog.locator('.kodelab-Diff-line.kodelab-mod-removed')
  ).toContainText('seen.setdefault');
  await shot(page, '07-view-code');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);

  // Restore the first attempt: the notebook reloads from disk with its code.
  await items
    .nth(1)
    .getByRole('button', { name: /^Restore attempt 1/ })
    .click();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Restore' })
    .click();
  await expect(answerText(page)).toHaveText(WRONG);
  await expect(results.locator('.kodelab-Results-notice')).toHaveText(
    /Restored submission #\d+ into the answer cell\./
  );
  await shot(page, '08-restored');

  // The catalog badges follow the verdicts.
  await page.sidebar.openTab('kodelab-catalog');
  await catalog.getByRole('button', { name: 'Refresh the catalog' }).click();
  await expect(twoSum.locator('.kodelab-Badge.kodelab-mod-solved')).toHaveText(
    '✓ Solved'
  );
  await expect(twoSum).toHaveAttribute('aria-label', /Solved$/);

  // Dark theme: the same screens stay readable.
  await page.theme.setDarkTheme();
  // KodeLab's panels take their colours from the theme (layout-color1 is #212121 in dark).
  await expect(catalog).toHaveCSS('background-color', 'rgb(33, 33, 33)');
  await expect(page.locator('#kodelab-results')).toHaveCSS(
    'background-color',
    'rgb(33, 33, 33)'
  );
  await page.sidebar.openTab('kodelab-results');
  await results.evaluate(node => node.scrollTo(0, 0));
  await shot(page, '09-dark-theme');
  await page.theme.setLightTheme();
});

test('the random pick opens a challenge; API errors are readable', async ({
  page
}) => {
  await page.sidebar.openTab('kodelab-catalog');
  const catalog = page.locator('#kodelab-catalog');
  await expect(catalog.locator('.kodelab-CatalogItem').first()).toBeVisible();

  // No challenge matches: the server's 404 is shown as a sentence, not a stack trace.
  await catalog.getByLabel('Category').selectOption('arrays');
  await catalog.getByLabel('Tag').selectOption('bfs');
  await catalog.getByRole('button', { name: /^Random challenge/ }).click();
  await expect(catalog.getByRole('alert')).toHaveText(
    '⚠ No challenge matches these filters [HTTP 404]'
  );
  await shot(catalog, '10-api-error');

  await catalog.getByLabel('Tag').selectOption('');
  await catalog.getByLabel('Category').selectOption('graphs');
  await catalog.getByRole('button', { name: /^Random challenge/ }).click();
  await expect(catalog.getByRole('status')).toHaveText(/^Opened /);
  const panel = page.locator('.jp-NotebookPanel.kodelab-mod-challenge');
  await expect(panel).toBeVisible();
  await expect(panel.locator('.kodelab-Countdown')).toHaveText(/left$/);
});
