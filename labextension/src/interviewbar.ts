/**
 * The interview toolbar of a session notebook: "Round N of M · title", the countdown to the
 * round's deadline (the server's clock), Submit round (code rounds: saves, then hands in the
 * saved answer), Reload (when the server added the next round's cells to the file), End
 * interview (asks first) and Scorecard once it is over.
 *
 * The server is the clock and the only source of truth: the tracker polls the session and
 * never decides a round's fate itself; the round bar in the notebook (an anywidget) reads
 * the same session, so both always show the same round. The server appends each round's
 * section to the notebook *file* when the round opens; the tracker reloads the document
 * then if it has no unsaved changes, and otherwise offers Reload, because saving the older
 * document over the file would make Lab ask whether to overwrite it.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { refreshIcon } from '@jupyterlab/ui-components';

import { KodeLabAPI, KodeLabApiError, clockSkew, messageOf } from './api';
import { h } from './dom';
import { interviewIcon, submitIcon } from './icons';
import { ActionButton, CountdownWidget } from './toolbar';

/** A round of the session as the API shows it (content only while it is open). */
export interface IInterviewRound {
  index: number;
  id: string;
  type: string;
  title: string;
  time_minutes: number;
  status: 'pending' | 'open' | 'submitted' | 'timed_out' | 'skipped' | string;
  opened_at: string | null;
  deadline: string | null;
  score: number | null;
}

/** GET /kodelab/api/interview-sessions/{id} (what the toolbar reads of it). */
export interface IInterviewView {
  id: number;
  scenario_id: string;
  title: string;
  status: 'active' | 'finished' | string;
  path: string | null;
  server_time?: string | null;
  current_round: number | null;
  round_count: number;
  rounds: IInterviewRound[];
  overall_score: number | null;
}

/** Rounds answered in notebook cells (the others in the round's controls). */
export const CODE_ROUND_TYPES = new Set(['sql', 'python', 'debug']);

/** The round the session is on (open, or about to open), or null when it is over. */
export function currentRound(
  view: IInterviewView | null
): IInterviewRound | null {
  if (!view || view.status === 'finished' || view.current_round === null) {
    return null;
  }
  return view.rounds[view.current_round] ?? null;
}

/** "Round 2 of 3 · Add two numbers", "Interview finished", or the round about to open. */
export function roundLabel(view: IInterviewView | null): string {
  if (!view) {
    return 'Loading the interview…';
  }
  if (view.status === 'finished') {
    return 'Interview finished';
  }
  const round = currentRound(view);
  if (!round) {
    return view.title;
  }
  const where = `Round ${round.index + 1} of ${view.round_count}`;
  return round.status === 'open'
    ? `${where} · ${round.title}`
    : `${where} opens in a moment`;
}

/**
 * Whether the document lacks cells the server has put in the file: the open round's
 * section, or the closing cell of a finished interview.
 */
export function documentIsBehind(
  view: IInterviewView | null,
  doc: { roundIds: string[]; finished: boolean }
): boolean {
  if (!view) {
    return false;
  }
  if (view.status === 'finished') {
    return !doc.finished;
  }
  const round = currentRound(view);
  return !!round && round.status === 'open' && !doc.roundIds.includes(round.id);
}

/** The session notebook as the tracker sees it (a Lab document context underneath). */
export interface IInterviewDocument {
  readonly localPath: string;
  /** Unsaved changes. */
  readonly dirty: boolean;
  /** The round ids of the round sections present, and whether the closing cell is. */
  sections(): { roundIds: string[]; finished: boolean };
  save(): Promise<void>;
  /** Reload from the file (unsaved changes are dropped). */
  revert(): Promise<void>;
  /** Emitted after the document was saved (by the user, autosave or the tracker). */
  readonly saved: ISignal<unknown, unknown>;
}

/** Options of an {@link InterviewTracker}. */
export interface IInterviewTrackerOptions {
  api: KodeLabAPI;
  sessionId: number;
  document: IInterviewDocument;
  /** How often the session is read while it runs (default 5 s). */
  pollMs?: number;
  now?: () => number;
}

/** One session notebook's view of its interview session. */
export class InterviewTracker implements IDisposable {
  constructor(private readonly _options: IInterviewTrackerOptions) {
    this._now = _options.now ?? Date.now;
    _options.document.saved.connect(this._onSaved, this);
  }

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get sessionId(): number {
    return this._options.sessionId;
  }

  get view(): IInterviewView | null {
    return this._view;
  }

  /** The open round's deadline (ms, server clock), null when no round is open. */
  get deadline(): number | null {
    const round = currentRound(this._view);
    if (!round || round.status !== 'open' || !round.deadline) {
      return null;
    }
    const ms = Date.parse(round.deadline);
    return Number.isNaN(ms) ? null : ms;
  }

  /** Server clock minus browser clock (ms). */
  get skew(): number {
    return this._skew;
  }

  get timeLimitMinutes(): number {
    return currentRound(this._view)?.time_minutes ?? 0;
  }

  get busy(): boolean {
    return this._busy !== '';
  }

  /** What the toolbar says next to the buttons: the last error or what is going on. */
  get status(): string {
    return this._status;
  }

  get finished(): boolean {
    return this._view?.status === 'finished';
  }

  /** The document lacks the server's newest cells and has unsaved changes. */
  get reloadNeeded(): boolean {
    return this._reloadNeeded;
  }

  /** Submit round applies: a code round is open and its cells are in the document. */
  get canSubmit(): boolean {
    const round = currentRound(this._view);
    return (
      !!round &&
      round.status === 'open' &&
      CODE_ROUND_TYPES.has(round.type) &&
      !this._reloadNeeded &&
      this._options.document.sections().roundIds.includes(round.id)
    );
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Read the session, bring the document up to date and plan the next read (so the first
   * call starts the reading, which goes on until the interview is over).
   */
  async refresh(): Promise<void> {
    if (this._disposed) {
      return;
    }
    clearTimeout(this._timer);
    try {
      const sentAt = this._now();
      const { data, response } =
        await this._options.api.request<IInterviewView>(
          'GET',
          `interview-sessions/${this.sessionId}`
        );
      this._skew = clockSkew(response, sentAt, this._now());
      this._view = data;
      if (this._busy === '') {
        this._status = '';
      }
      await this._follow();
    } catch (err) {
      this._status = messageOf(err);
      if (
        err instanceof KodeLabApiError &&
        err.status >= 400 &&
        err.status < 500
      ) {
        this._stopped = true; // gone or not this user's: nothing more to read
      }
    }
    this._emit();
    this._schedule();
  }

  /** Save the notebook and hand in the open code round's saved answer. */
  async submit(): Promise<void> {
    const round = currentRound(this._view);
    if (this.busy || !round || !this.canSubmit) {
      return;
    }
    await this._run(
      'submit',
      `Submitting round ${round.index + 1}…`,
      async () => {
        await this._options.document.save();
        await this._options.api.request(
          'POST',
          `interview-sessions/${this.sessionId}/rounds/${encodeURIComponent(round.id)}/submit`,
          { body: { path: this._options.document.localPath } }
        );
      }
    );
  }

  /** End the interview now (the caller has asked the candidate). */
  async end(): Promise<void> {
    if (this.busy || this.finished) {
      return;
    }
    await this._run('end', 'Ending the interview…', async () => {
      await this._options.api.request(
        'POST',
        `interview-sessions/${this.sessionId}/end`
      );
    });
  }

  /** Load the server's newest cells, dropping unsaved changes (the user asked for it). */
  async reload(): Promise<void> {
    await this._options.document.revert();
    this._reloadNeeded = false;
    this._emit();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    clearTimeout(this._timer);
    this._options.document.saved.disconnect(this._onSaved, this);
    Signal.clearData(this);
  }

  private async _run(
    what: string,
    status: string,
    action: () => Promise<void>
  ): Promise<void> {
    this._busy = what;
    this._status = status;
    this._emit();
    try {
      await action();
      this._status = '';
    } catch (err) {
      this._status = messageOf(err);
    } finally {
      this._busy = '';
    }
    await this.refresh();
  }

  /** Reload a document with no unsaved changes when the file has the newer cells. */
  private async _follow(): Promise<void> {
    const doc = this._options.document;
    if (!documentIsBehind(this._view, doc.sections())) {
      this._reloadNeeded = false;
      return;
    }
    if (doc.dirty) {
      this._reloadNeeded = true;
      return;
    }
    await doc.revert();
    this._reloadNeeded = documentIsBehind(this._view, doc.sections());
  }

  /** A save of the open code round's cells is also its draft (the answer if time runs out). */
  private _onSaved(): void {
    const round = currentRound(this._view);
    if (!round || !this.canSubmit || this.busy) {
      return;
    }
    this._options.api
      .request(
        'PUT',
        `interview-sessions/${this.sessionId}/rounds/${encodeURIComponent(round.id)}/draft`,
        { body: { path: this._options.document.localPath } }
      )
      .catch(err => {
        this._status = `The draft was not saved: ${messageOf(err)}`;
        this._emit();
      });
  }

  /** The next read: the poll interval, or just after the deadline / the next opening. */
  private _schedule(): void {
    if (this._disposed || this._stopped || this.finished) {
      return;
    }
    let wait = this._options.pollMs ?? 5000;
    const round = currentRound(this._view);
    const at = round?.status === 'open' ? round.deadline : round?.opened_at;
    const when = at ? Date.parse(at) : NaN;
    if (!Number.isNaN(when)) {
      // The server times an abandoned round out after its grace; look right after that.
      const due = when - (this._now() + this._skew) + 500;
      if (due > 0 && due < wait) {
        wait = due;
      }
    }
    this._timer = setTimeout(() => void this.refresh(), wait);
  }

  private _emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  private _view: IInterviewView | null = null;
  private _skew = 0;
  private _busy = '';
  private _status = '';
  private _reloadNeeded = false;
  private _stopped = false;
  private _disposed = false;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly _now: () => number;
  private _changed = new Signal<this, void>(this);
}

/** "Round N of M · title" and the tracker's status, announced politely. */
export class RoundLabelWidget extends Widget {
  constructor(readonly tracker: InterviewTracker) {
    super();
    this.addClass('kodelab-InterviewRound');
    this._label = h('span', { class: 'kodelab-InterviewRound-label' });
    this._status = h('span', {
      class: 'kodelab-InterviewRound-status',
      role: 'status',
      'aria-live': 'polite'
    });
    this.node.append(this._label, this._status);
    tracker.changed.connect(this._sync, this);
    this._sync();
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.tracker.changed.disconnect(this._sync, this);
    }
    super.dispose();
  }

  private _sync(): void {
    const label = roundLabel(this.tracker.view);
    if (this._label.textContent !== label) {
      this._label.textContent = label;
      this._label.title = label; // the round's title may be cut short
    }
    const status = this.tracker.reloadNeeded
      ? 'New cells are in the notebook file: reload to see them.'
      : this.tracker.status;
    if (this._status.textContent !== status) {
      this._status.textContent = status;
    }
  }

  private _label: HTMLSpanElement;
  private _status: HTMLSpanElement;
}

/** What the interview toolbar asks of the application. */
export interface IInterviewToolbarActions {
  /** Ask the candidate whether to end the interview now. */
  confirmEnd: () => Promise<boolean>;
  /** Show the session's scorecard. */
  openScorecard: (sessionId: number) => void;
}

/** The toolbar items of an interview session notebook, in order. */
export function interviewToolbarItems(
  tracker: InterviewTracker,
  actions: IInterviewToolbarActions
): Array<[string, Widget]> {
  const countdown = new CountdownWidget(tracker);
  // Nothing to count down before the session is read and once it is over.
  const syncCountdown = () => {
    const hidden = !tracker.view || tracker.finished;
    if (!countdown.isDisposed && countdown.isHidden !== hidden) {
      countdown.setHidden(hidden);
    }
  };
  tracker.changed.connect(syncCountdown);
  syncCountdown();
  return [
    ['kodelab-interview-round', new RoundLabelWidget(tracker)],
    ['kodelab-interview-countdown', countdown],
    [
      'kodelab-interview-submit',
      new ActionButton({
        session: tracker,
        label: 'Submit round',
        title:
          'Submit round: save the notebook and hand in this round’s answer cells (no going back)',
        icon: submitIcon,
        className: 'kodelab-InterviewSubmitButton',
        primary: true,
        visible: t => t.canSubmit,
        onClick: () => void tracker.submit()
      })
    ],
    [
      'kodelab-interview-reload',
      new ActionButton({
        session: tracker,
        label: 'Reload',
        title:
          'Reload the notebook from disk to see the cells of the new round (unsaved changes are dropped)',
        icon: refreshIcon,
        className: 'kodelab-InterviewReloadButton',
        visible: t => t.reloadNeeded,
        onClick: () => void tracker.reload()
      })
    ],
    [
      'kodelab-interview-end',
      new ActionButton({
        session: tracker,
        label: 'End interview',
        title: 'End the interview now (asks to confirm)',
        className: 'kodelab-InterviewEndButton',
        visible: t => !!t.view && !t.finished,
        onClick: () =>
          void actions.confirmEnd().then(async yes => {
            if (yes) {
              await tracker.end();
              if (tracker.finished) {
                actions.openScorecard(tracker.sessionId);
              }
            }
          })
      })
    ],
    [
      'kodelab-interview-scorecard',
      new ActionButton({
        session: tracker,
        label: 'Scorecard',
        title: 'Show the scorecard of this interview',
        icon: interviewIcon,
        className: 'kodelab-InterviewScorecardButton',
        disableWhileBusy: false,
        visible: t => t.finished,
        onClick: () => actions.openScorecard(tracker.sessionId)
      })
    ]
  ];
}
