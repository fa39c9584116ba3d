/**
 * Interviews in a real JupyterLab: the lobby (both sections, the 8 level cards), start the
 * junior coding scenario (its session notebook opens), end it through the API, open the
 * scorecard from the lobby's past sessions, share it, and open the shared card in a fresh
 * browser context: scores only, no question text.
 */
import * as path from 'path';

import { expect, test } from '@jupyterlab/galata';

const SHOTS = path.join(
  __dirname,
  '..',
  process.env.KODELAB_UI_RESULTS ?? 'test-results',
  'screenshots'
);

test('interview lobby, session, scorecard and shared card', async ({
  page,
  baseURL,
  browser
}) => {
  // -- the lobby -------------------------------------------------------------------------
  await page.sidebar.openTab('kodelab-interviews');
  const lobby = page.locator('#kodelab-interviews');
  await expect(
    lobby.getByRole('heading', { name: 'Coding', exact: true })
  ).toBeVisible();
  await expect(
    lobby.getByRole('heading', { name: 'System design', exact: true })
  ).toBeVisible();
  // Every shipped level has a scenario: 2 categories x 4 levels, none "coming soon".
  await expect(lobby.locator('.kodelab-InterviewLevel')).toHaveCount(8);
  await expect(lobby.locator('.kodelab-mod-comingSoon')).toHaveCount(0);
  const junior = lobby.locator(
    '[data-category="coding"] [data-level="junior"] .kodelab-ScenarioCard'
  );
  await expect(junior).toHaveCount(1);
  await expect(junior).toContainText('Orders Warm-up');
  await expect(junior).toContainText('4 rounds');
  await lobby.screenshot({ path: path.join(SHOTS, '20-interview-lobby.png') });

  // -- start: confirm, the server creates the session notebook, Lab opens it --------------
  const started = page.waitForResponse(
    r =>
      r.url().includes('/kodelab/api/interviews/orders-warmup/sessions') &&
      r.request().method() === 'POST'
  );
  await junior.click();
  await page
    .getByRole('button', { name: 'Start interview', exact: true })
    .click();
  const session = await (await started).json();
  expect(session.path).toMatch(/\.ipynb$/);
  const name: string = session.path.split('/').pop();
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await expect(
    page.getByRole('tab', { name: new RegExp(escaped) })
  ).toBeVisible();
  await expect(
    page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)')
  ).toBeVisible();

  // -- end it through the API (with the XSRF cookie, as Lab does) --------------------------
  const cookies = await page.context().cookies();
  const xsrf = cookies.find(c => c.name === '_xsrf')?.value ?? '';
  const ended = await page.request.post(
    `${baseURL}/kodelab/api/interview-sessions/${session.id}/end`,
    { headers: { 'X-XSRFToken': xsrf } }
  );
  expect(ended.ok()).toBe(true);
  const card = await (
    await page.request.get(
      `${baseURL}/kodelab/api/interview-sessions/${session.id}/scorecard`
    )
  ).json();

  // -- the scorecard from the lobby's past sessions -----------------------------------------
  await page.sidebar.openTab('kodelab-interviews');
  await lobby.getByRole('button', { name: 'Refresh' }).click();
  const past = lobby.locator(`[data-session-id="${session.id}"]`);
  await expect(past).toContainText('finished');
  await past.click();
  const scorecard = page.locator(`#kodelab-scorecard-${session.id}`);
  await expect(scorecard).toBeVisible();
  await expect(scorecard.locator('.kodelab-Scorecard-overall')).toHaveText(
    `Overall: ${card.overall_percent}%`
  );
  await expect(scorecard.getByRole('img')).toHaveAttribute(
    'aria-label',
    `Overall score ${card.overall_percent}%`
  );
  await expect(scorecard.locator('.kodelab-ScoreRow')).toHaveCount(
    card.rounds.length
  );
  await expect(scorecard.locator('.kodelab-ScoreRow').first()).toContainText(
    card.rounds[0].title
  );
  await expect(scorecard.locator('.kodelab-ScoreRow').first()).toContainText(
    /Time .* of 12:00/
  );
  await expect(scorecard.getByText('Review answers')).toBeVisible();
  await expect(
    scorecard.getByRole('link', { name: 'Download PNG' })
  ).toHaveAttribute(
    'href',
    new RegExp(`interview-sessions/${session.id}/scorecard\\.png$`)
  );
  await scorecard.screenshot({ path: path.join(SHOTS, '21-scorecard.png') });

  // -- share, then open the shared card in a fresh context --------------------------------
  await scorecard.getByRole('button', { name: 'Copy share link' }).click();
  const linkBox = scorecard.getByRole('textbox', { name: 'Share link' });
  await expect(linkBox).toHaveValue(/\/kodelab\/api\/shared\/[A-Za-z0-9_-]+$/);
  const link = await linkBox.inputValue();
  expect(link.startsWith(`${baseURL}/`)).toBe(true);
  const token = link.split('/').pop()!;

  const context = await browser.newContext();
  try {
    const fresh = await context.newPage();
    await fresh.goto(`${baseURL}/lab`);
    await expect(fresh.locator('#jp-main-dock-panel')).toBeVisible();
    // The page exposes the app (Galata's server config); the command takes the whole link.
    await fresh.evaluate(async (shareUrl: string) => {
      const app = (window as any).jupyterapp;
      await app.started;
      await app.restored;
      await app.commands.execute('kodelab:open-shared', { token: shareUrl });
    }, link);
    const shared = fresh.locator('.kodelab-Scorecard.kodelab-mod-shared');
    await expect(shared.locator('.kodelab-Scorecard-overall')).toHaveText(
      `Overall: ${card.overall_percent}%`
    );
    await expect(shared.locator('.kodelab-ScoreRow')).toHaveCount(
      card.rounds.length
    );
    const text = (await shared.textContent()) ?? '';
    for (const review of card.review) {
      for (const q of review.questions ?? []) {
        expect(text).not.toContain(q.prompt);
      }
      if (review.description) {
        expect(text).not.toContain(review.description.slice(0, 40));
      }
    }
    expect(text).not.toContain('Review answers');
    expect(text).not.toContain('Copy share link');
    await shared.screenshot({
      path: path.join(SHOTS, '22-shared-scorecard.png')
    });
  } finally {
    await context.close();
  }
});
