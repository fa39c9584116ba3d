/**
 * Interviews in a real JupyterLab: the lobby (both sections, the 8 level cards), start the
 * test server's three-round scenario (ui-tests/interviews/: its session notebook opens with
 * the interview toolbar), run the round bar in the candidate's kernel, answer the quiz with
 * the mouse, reload the notebook for round 2's cells, let that one-minute Python round time
 * out (the clean notebook then reloads by itself), end the interview in the last round from
 * the toolbar (with its confirmation), see the scorecard, also from the lobby's past
 * sessions, share it, and open the shared card in a fresh browser context: scores only, no
 * question text.
 */

import { expect, test } from '@jupyterlab/galata';
import { shot } from './shots';

test('interview lobby, session, scorecard and shared card', async ({
  page,
  baseURL,
  browser
}) => {
  // A one-minute round runs out in here, after a kernel start.
  test.setTimeout(300 * 1000);
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
  // The shipped junior scenario, and the test server's own (ui-tests/interviews/).
  await expect(junior).toHaveCount(2);
  await expect(junior.filter({ hasText: 'Orders Warm-up' })).toContainText(
    '4 rounds'
  );
  const drill = junior.filter({ hasText: 'Browser Drill' });
  await expect(drill).toContainText('3 rounds');
  await shot(lobby, '20-interview-lobby');

  // -- start: confirm, the server creates the session notebook, Lab opens it --------------
  const started = page.waitForResponse(
    r =>
      r.url().includes('/kodelab/api/interviews/browser-drill/sessions') &&
      r.request().method() === 'POST'
  );
  await drill.click();
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
  const shown = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
  await expect(shown).toBeVisible();
  // This notebook's panel, also once another tab (the scorecard) is in front.
  const notebook = page.locator(`#${await shown.getAttribute('id')}`);

  // -- the interview toolbar: round, countdown, End interview -------------------------------
  // Room for the whole toolbar (a narrow one moves its last items into a "⋯" menu).
  await page.sidebar.close('left');
  const toolbar = notebook.locator('.jp-NotebookPanel-toolbar');
  const roundLabel = toolbar.locator('.kodelab-InterviewRound-label');
  await expect(roundLabel).toHaveText('Round 1 of 3 · Warm-up quiz');
  await expect(toolbar.locator('.kodelab-Countdown')).toContainText(/left/);
  const endButton = toolbar.getByRole('button', {
    name: 'End the interview now (asks to confirm)'
  });
  await expect(endButton).toBeVisible();
  // A quiz is answered in its controls, not in cells: no Submit round in the toolbar.
  const submitRound = toolbar.locator('.kodelab-InterviewSubmitButton');
  await expect(submitRound).toBeHidden();

  // -- the round bar: its cell (the second) runs in the candidate's kernel ------------------
  await page.notebook.runCell(1);
  const bar = notebook.locator('.kodelab-rb').first();
  await expect(bar).toContainText('Round 1 of 3', { timeout: 60 * 1000 });
  await expect(bar).toContainText('Warm-up quiz');
  await expect(bar.locator('.kodelab-rb__timer')).toContainText(/left/);

  // -- round 1: answer the quiz with the mouse, submit -------------------------------------
  await bar.getByRole('radio', { name: '4', exact: true }).check();
  await bar.getByRole('checkbox', { name: '2', exact: true }).check();
  await bar.getByRole('checkbox', { name: '7', exact: true }).check();
  await shot(notebook, '23-interview-quiz');
  await bar.getByRole('button', { name: 'Submit this round' }).click();
  await expect(bar).toContainText('Round 2 of 3', { timeout: 30 * 1000 });

  // -- round 2's cells: the server added them to the file; the notebook has unsaved outputs,
  //    so the toolbar offers Reload rather than dropping them by itself ---------------------
  await expect(roundLabel).toHaveText('Round 2 of 3 · Add two numbers', {
    timeout: 15 * 1000
  });
  const reload = toolbar.getByRole('button', {
    name: /^Reload the notebook from disk/
  });
  await expect(reload).toBeVisible();
  await reload.click();
  await expect(reload).toBeHidden();
  await expect(
    notebook.locator('.jp-Cell').filter({ hasText: 'def add(a, b):' })
  ).toHaveCount(1);
  await expect(submitRound).toBeVisible();
  await shot(notebook, '24-interview-round');

  // -- round 2: one minute, left to run out; the server times it out and opens round 3, and
  //    the (now clean) notebook reloads by itself -------------------------------------------
  await expect(toolbar.locator('.kodelab-Countdown')).toContainText(
    /Time is up|0:0\d/,
    { timeout: 70 * 1000 }
  );
  await expect(roundLabel).toHaveText('Round 3 of 3 · Closing quiz', {
    timeout: 30 * 1000
  });
  await expect(submitRound).toBeHidden();
  await expect(notebook).toContainText('Closing quiz');

  // -- round 3: end the interview early (it asks first; "Keep going" keeps it going) --------
  await endButton.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('End the interview now?');
  await dialog.getByRole('button', { name: 'Keep going' }).click();
  await expect(dialog).toBeHidden();
  await expect(roundLabel).toHaveText('Round 3 of 3 · Closing quiz');
  await endButton.click();
  await dialog.getByRole('button', { name: 'End interview' }).click();
  // The scorecard opens by itself; the notebook's toolbar says it is over.
  await expect(page.locator(`#kodelab-scorecard-${session.id}`)).toBeVisible({
    timeout: 30 * 1000
  });
  await page.getByRole('tab', { name: new RegExp(escaped) }).click();
  await expect(roundLabel).toHaveText('Interview finished');
  await expect(endButton).toBeHidden();
  await expect(
    toolbar.getByRole('button', {
      name: 'Show the scorecard of this interview'
    })
  ).toBeVisible();

  const card = await (
    await page.request.get(
      `${baseURL}/kodelab/api/interview-sessions/${session.id}/scorecard`
    )
  ).json();
  expect(card.status).toBe('finished');
  const [quiz, timedOut, ended] = card.rounds;
  expect([quiz.status, quiz.score]).toEqual(['submitted', 1]);
  // Timed out by the server's clock, with the starter code (`...` returns None).
  expect([timedOut.status, timedOut.score]).toEqual(['timed_out', 0]);
  expect(timedOut.time_spent_s).toBeGreaterThanOrEqual(59);
  expect([ended.status, ended.score]).toEqual(['skipped', 0]);

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
    /Time .* of 3:00/
  );
  await expect(scorecard.getByText('Review answers')).toBeVisible();
  await expect(
    scorecard.getByRole('link', { name: 'Download PNG' })
  ).toHaveAttribute(
    'href',
    new RegExp(`interview-sessions/${session.id}/scorecard\\.png$`)
  );
  await shot(scorecard, '21-scorecard');

  // -- share, then open the shared card in a fresh context --------------------------------
  await scorecard.getByRole('button', { name: 'Copy share link' }).click();
  const linkBox = scorecard.getByRole('textbox', { name: 'Share link' });
  await expect(linkBox).toHaveValue(/\/kodelab\/api\/shared\/[A-Za-z0-9_-]+$/);
  const link = await linkBox.inputValue();
  expect(link.startsWith(`${baseURL}/`)).toBe(true);

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
    await shot(shared, '22-shared-scorecard');
  } finally {
    await context.close();
  }
});
