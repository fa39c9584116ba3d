/**
 * Give up in a real JupyterLab: start climbing-stairs (its challenge.yaml allows the solution
 * reveal), click Give up in the challenge toolbar, confirm in JupyterLab's dialog, and see
 * every hint and the reference solution (read-only, not in the notebook) in the results
 * panel; the button is gone afterwards and Submit still works. Screenshots go to
 * test-results/screenshots like the other specs.
 */
import { expect, test } from '@jupyterlab/galata';
import { shot } from './shots';

test('give up: confirm, then every hint and the reference solution', async ({
  page
}) => {
  // -- start climbing-stairs from the sidebar ----------------------------------------------
  await page.sidebar.openTab('kodelab-catalog');
  const catalog = page.locator('#kodelab-catalog');
  await expect(catalog.locator('.kodelab-CatalogItem').first()).toBeVisible();
  await catalog.getByLabel('Search').fill('climbing');
  const item = catalog.locator('[data-challenge-id="climbing-stairs"]');
  await expect(item).toContainText('Climbing Stairs');
  await item.click();

  const panel = page.locator('.jp-NotebookPanel.kodelab-mod-challenge');
  await expect(panel).toBeVisible();
  await expect(
    page.getByRole('tab', { name: /climbing-stairs\.ipynb/ })
  ).toBeVisible();
  const toolbar = panel.locator('.jp-NotebookPanel-toolbar');
  const giveUp = toolbar.getByRole('button', { name: /^Give up/ });
  await expect(giveUp).toBeVisible();
  await expect(giveUp).toBeEnabled();
  await expect(giveUp).toHaveAttribute('title', /^Give up: unlock every hint/);

  // -- Give up asks first; Cancel changes nothing -------------------------------------------
  await giveUp.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Give up on Climbing Stairs?');
  await expect(dialog).toContainText('unlocks all 3 hints');
  await expect(dialog).toContainText(
    'You can still submit afterwards: submissions are graded and count as usual.'
  );
  await shot(page, 'give-up-01-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(giveUp).toBeVisible();

  // -- confirm: the results panel shows every hint and the solution -------------------------
  await giveUp.click();
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Give up' })
    .click();
  const results = page.locator('#kodelab-results');
  await expect(results).toBeVisible();
  const hints = results.locator('.kodelab-Hints');
  await expect(hints.locator('.kodelab-Hints-gaveUp')).toContainText(
    'You gave up on this challenge'
  );
  await expect(hints.locator('.kodelab-Hints-title')).toHaveText(
    'Hints (3 of 3 unlocked)'
  );
  await expect(hints.locator('ol > li')).toHaveCount(3);
  const solution = hints.locator('details.kodelab-Hints-solution');
  await expect(solution).toHaveAttribute('open', '');
  await expect(solution.locator('summary')).toHaveText('Reference solution');
  const code = solution.locator('pre.kodelab-Solution code');
  await expect(code).toBeVisible();
  await expect(code).toContainText('def climb_stairs');
  await expect(code).toContainText('a, b = b, a + b');
  // Shown, never put into the notebook: the answer cell still holds the starter.
  const answer = panel.locator('.jp-Cell').nth(2).locator('.cm-content');
  await expect(answer).toContainText('raise NotImplementedError');
  await expect(panel.locator('.jp-Notebook')).not.toContainText(
    'a, b = b, a + b'
  );

  // Give up no longer applies: the toolbar button is gone; Submit is still there.
  await expect(giveUp).toBeHidden();
  await expect(toolbar.getByRole('button', { name: /^Submit/ })).toBeEnabled();
  await shot(page, 'give-up-02-hints-and-solution');
  await shot(results, 'give-up-03-results-panel');
});
