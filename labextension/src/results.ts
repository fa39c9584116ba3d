/**
 * The results panel: what the last run or submission of the current challenge notebook
 * said (verdict banner, "3/4 passed", one card per test), its hints, and the history of
 * submissions with View code (diff against the current answer) and Restore.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { renderDiff } from './diff';
import { h } from './dom';
import { formatScore, formatWhen, summarize, verdictLabel } from './format';
import { kodelabIcon } from './icons';
import {
  announcement,
  renderError,
  renderHints,
  renderRunning,
  renderVerdict
} from './render';
import { ChallengeSession, ResultState } from './session';
import { ISubmission } from './types';

const CONFETTI = ['🎉', '✨', '🎊', '⭐', '🥳'];

/** The attempt number of the history entry at `index` (newest first). */
function attemptOf(history: ISubmission[], index: number): number {
  return history.length - index;
}

/** One line per submission: verdict (symbol + words), score, time, actions. */
export function renderHistoryItem(
  submission: ISubmission,
  attempt: number,
  actions: { view: () => void; restore: () => void; disabled: boolean }
): HTMLElement {
  const verdict = submission.verdict;
  const accepted = verdict?.verdict === 'accepted';
  const status = verdict
    ? `${accepted ? '✓' : '✗'} ${verdictLabel(verdict.verdict)}`
    : '⋯ Grading';
  const details = [
    verdict ? `Score ${formatScore(verdict.score, verdict.max_score)}` : null,
    verdict ? summarize(verdict) : null,
    submission.late ? 'late' : null
  ].filter(Boolean);
  const viewButton = h('button', {
    type: 'button',
    class: 'jp-Button jp-mod-styled jp-mod-reject kodelab-HistoryItem-view',
    'aria-label': `View the code of attempt ${attempt} compared with your current answer`,
    text: 'View code'
  });
  const restoreButton = h('button', {
    type: 'button',
    class: 'jp-Button jp-mod-styled jp-mod-reject kodelab-HistoryItem-restore',
    'aria-label': `Restore attempt ${attempt} into the answer cell`,
    text: 'Restore',
    disabled: actions.disabled || submission.code === undefined
  });
  viewButton.disabled = submission.code === undefined;
  viewButton.addEventListener('click', actions.view);
  restoreButton.addEventListener('click', actions.restore);
  return h(
    'li',
    {
      class: `kodelab-HistoryItem kodelab-mod-${verdict ? (accepted ? 'accepted' : 'rejected') : 'pending'}`,
      'data-submission-id': submission.id
    },
    h(
      'div',
      { class: 'kodelab-HistoryItem-head' },
      h('span', {
        class: 'kodelab-HistoryItem-attempt',
        text: `Attempt ${attempt}`
      }),
      h('span', { class: 'kodelab-HistoryItem-verdict', text: status }),
      h('time', {
        class: 'kodelab-HistoryItem-time',
        datetime: submission.created_at ?? undefined,
        text: formatWhen(submission.created_at)
      })
    ),
    details.length
      ? h('div', {
          class: 'kodelab-HistoryItem-details',
          text: details.join(' · ')
        })
      : null,
    h(
      'div',
      { class: 'kodelab-HistoryItem-actions' },
      viewButton,
      restoreButton
    )
  );
}

/** The results panel (right side panel in JupyterLab and Notebook 7). */
export class ResultsPanel extends Widget {
  constructor() {
    super();
    this.id = 'kodelab-results';
    this.addClass('kodelab-Results');
    this.title.icon = kodelabIcon;
    this.title.caption = 'KodeLab results';
    this.title.label = '';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'KodeLab results');

    this._title = h('h2', { class: 'kodelab-Results-title' });
    this._meta = h('div', { class: 'kodelab-Results-meta' });
    this._status = h('div', {
      class: 'kodelab-Results-status',
      role: 'status',
      'aria-live': 'polite'
    });
    this._notice = h('div', { class: 'kodelab-Results-notice' });
    this._result = h('section', {
      class: 'kodelab-Results-result',
      'aria-label': 'Latest result'
    });
    this._hints = h('section', {
      class: 'kodelab-Results-hints',
      'aria-label': 'Hints'
    });
    this._historyList = h('ol', {
      class: 'kodelab-History-list',
      'aria-label': 'Your submissions, newest first'
    });
    this._historyNote = h('div', { class: 'kodelab-History-note' });
    const refresh = h('button', {
      type: 'button',
      class: 'jp-Button jp-mod-minimal kodelab-History-refresh',
      'aria-label': 'Refresh the history',
      title: 'Refresh the history',
      text: '↻'
    });
    refresh.addEventListener('click', () => {
      void this._session?.refreshHistory();
    });
    this._history = h(
      'section',
      { class: 'kodelab-History', 'aria-labelledby': 'kodelab-history-title' },
      h(
        'div',
        { class: 'kodelab-History-header' },
        h('h3', { id: 'kodelab-history-title', text: 'History' }),
        refresh
      ),
      this._historyNote,
      this._historyList
    );
    this._empty = h(
      'div',
      { class: 'kodelab-Results-empty' },
      h('p', {
        text: 'Open a challenge from the KodeLab sidebar (or any challenge notebook): its test results, hints and submissions show here.'
      })
    );
    this._body = h(
      'div',
      { class: 'kodelab-Results-body' },
      h('header', {}, this._title, this._meta),
      this._status,
      this._notice,
      this._result,
      this._hints,
      this._history
    );
    this.node.append(this._empty, this._body);
    this._render();
  }

  /** The session shown, or null. */
  get session(): ChallengeSession | null {
    return this._session;
  }

  /** Show `session` (null: the empty state). */
  setSession(session: ChallengeSession | null): void {
    if (session === this._session) {
      return;
    }
    if (this._session) {
      this._session.changed.disconnect(this._render, this);
      this._session.solvedFirstTime.disconnect(this._celebrate, this);
    }
    this._session = session;
    this._shown = {};
    if (session) {
      session.changed.connect(this._render, this);
      session.solvedFirstTime.connect(this._celebrate, this);
    }
    this._render();
  }

  dispose(): void {
    this.setSession(null);
    super.dispose();
  }

  private _render(): void {
    const session = this._session;
    if (!session || session.isDisposed) {
      this._empty.hidden = false;
      this._body.hidden = true;
      return;
    }
    this._empty.hidden = true;
    this._body.hidden = false;
    this._title.textContent = session.title;
    const info = session.info;
    this._meta.textContent = [
      info?.difficulty,
      info?.category,
      session.document.localPath,
      session.solved ? '✓ solved' : null,
      session.attempts !== null ? `${session.attempts} attempt(s)` : null
    ]
      .filter(Boolean)
      .join(' · ');
    this._notice.textContent = session.notice;
    this._notice.hidden = !session.notice;

    const result = session.result;
    if (this._shown.result !== result) {
      this._shown.result = result;
      this._renderResult(result);
    }
    const status = session.busy
      ? session.busyText
      : result?.state === 'verdict'
        ? announcement(result.verdict, result.context)
        : '';
    if (this._status.textContent !== status) {
      this._status.textContent = status;
    }
    // Progress is shown; the outcome is only announced (the banner already shows it).
    this._status.classList.toggle('kodelab-srOnly', !session.busy);
    if (this._shown.hints !== session.hints) {
      this._shown.hints = session.hints;
      this._hints.replaceChildren(
        ...(session.hints ? [renderHints(session.hints)] : [])
      );
      this._hints.hidden = !session.hints;
    }
    if (
      this._shown.history !== session.history ||
      this._shown.busy !== session.busy
    ) {
      this._shown.history = session.history;
      this._shown.busy = session.busy;
      this._renderHistory(session);
    }
    this._historyNote.textContent = session.historyError
      ? `⚠ ${session.historyError.message}`
      : session.history && !session.history.length
        ? 'No submissions yet.'
        : '';
  }

  private _renderResult(result: ResultState | null): void {
    if (!result) {
      this._result.replaceChildren(
        h('p', {
          class: 'kodelab-Results-hint',
          text: 'Run tests checks the visible examples; Submit grades every test and counts an attempt.'
        })
      );
    } else if (result.state === 'running') {
      this._result.replaceChildren(renderRunning(result.text));
    } else if (result.state === 'verdict') {
      this._result.replaceChildren(
        renderVerdict(result.verdict, result.context)
      );
    } else {
      this._result.replaceChildren(renderError(result.error));
    }
  }

  private _renderHistory(session: ChallengeSession): void {
    const history = session.history ?? [];
    // Keep the focused button focused across a redraw (same item, same action).
    const active = document.activeElement;
    let focusKey: string | null = null;
    if (active && this._historyList.contains(active)) {
      const item = active.closest('[data-submission-id]');
      const cls = active.classList.contains('kodelab-HistoryItem-view')
        ? 'view'
        : 'restore';
      focusKey = item
        ? `${item.getAttribute('data-submission-id')}:${cls}`
        : null;
    }
    this._historyList.replaceChildren(
      ...history.map((submission, index) =>
        renderHistoryItem(submission, attemptOf(history, index), {
          disabled: session.busy,
          view: () => void this._viewCode(session, submission, index),
          restore: () => void this._restore(session, submission, index)
        })
      )
    );
    if (focusKey) {
      const [id, cls] = focusKey.split(':');
      const target = this._historyList.querySelector<HTMLButtonElement>(
        `[data-submission-id="${id}"] .kodelab-HistoryItem-${cls}`
      );
      target?.focus();
    }
  }

  private async _viewCode(
    session: ChallengeSession,
    submission: ISubmission,
    index: number
  ): Promise<void> {
    const attempt = attemptOf(session.history ?? [], index);
    const verdict = submission.verdict
      ? verdictLabel(submission.verdict.verdict)
      : 'grading';
    const body = new Widget({
      node: renderDiff(session.currentAnswer(), submission.code ?? '')
    });
    body.addClass('kodelab-DiffDialog');
    await showDialog({
      title: `Attempt ${attempt} (${verdict}) compared with your current answer`,
      body,
      buttons: [Dialog.okButton({ label: 'Close' })]
    });
  }

  private async _restore(
    session: ChallengeSession,
    submission: ISubmission,
    index: number
  ): Promise<void> {
    const attempt = attemptOf(session.history ?? [], index);
    const result = await showDialog({
      title: `Restore attempt ${attempt}?`,
      body:
        `The answer cell of ${session.document.localPath} gets the code of attempt ` +
        `${attempt}. The notebook is saved first; your current answer is replaced ` +
        '(it stays in your history only if you submitted it).',
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: 'Restore', ariaLabel: 'Restore' })
      ]
    });
    if (result.button.accept) {
      await session.restore(submission);
    }
  }

  private _celebrate(): void {
    const reduce =
      typeof window.matchMedia === 'function' &&
      window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    if (reduce) {
      return;
    }
    const layer = h('div', {
      class: 'kodelab-Confetti',
      'aria-hidden': 'true'
    });
    for (let i = 0; i < 28; i += 1) {
      const piece = h('span', { text: CONFETTI[i % CONFETTI.length] });
      piece.style.left = `${Math.random() * 100}%`;
      piece.style.animationDelay = `${Math.random() * 0.6}s`;
      piece.style.setProperty(
        '--kodelab-drift',
        `${Math.round((Math.random() - 0.5) * 120)}px`
      );
      layer.append(piece);
    }
    this.node.append(layer);
    setTimeout(() => layer.remove(), 3200);
  }

  private _session: ChallengeSession | null = null;
  private _shown: {
    result?: ResultState | null;
    hints?: unknown;
    history?: ISubmission[] | null;
    busy?: boolean;
  } = {};
  private _title: HTMLElement;
  private _meta: HTMLElement;
  private _status: HTMLElement;
  private _notice: HTMLElement;
  private _result: HTMLElement;
  private _hints: HTMLElement;
  private _history: HTMLElement;
  private _historyList: HTMLElement;
  private _historyNote: HTMLElement;
  private _empty: HTMLElement;
  private _body: HTMLElement;
}
