/**
 * One open challenge notebook: its start (deadline from the server), its actions (run tests,
 * submit, hints, give up, restore), its last result and its history. The toolbar, the
 * results panel and the commands all show and drive the same session, so they can never
 * disagree; the server decides everything (deadline, verdict, attempts, solved).
 */
import { ISignal, Signal } from '@lumino/signaling';
import { IDisposable } from '@lumino/disposable';

import { IStarted, KodeLabAPI } from './api';
import { AUTO_SUBMIT_WINDOW_MS, countdownState } from './format';
import { IVerdictContext } from './render';
import { IChallengeView, IHints, ISubmission, IVerdict } from './types';

/** The metadata key of KodeLab in notebooks and cells. */
export const METADATA_KEY = 'kodelab';

/** The role of answer cells (kodelab_jupyter/grading/source.py ANSWER_ROLE). */
export const ANSWER_ROLE = 'answer';

/** The part of a notebook document a session needs (a DocumentRegistry context fits). */
export interface INotebookDocument {
  /** The path relative to the server root (no drive prefix). */
  readonly localPath: string;
  /** Save the document through JupyterLab (so the saved file is what is on screen). */
  save(): Promise<void>;
  /** Reload the document from disk. */
  revert(): Promise<void>;
  /** The source of every cell whose KodeLab role is 'answer', in order. */
  answerSources(): string[];
}

/** The challenge id in a notebook's metadata, or null when it is not a challenge notebook. */
export function challengeIdOf(metadata: unknown): string | null {
  if (!metadata || typeof metadata !== 'object') {
    return null;
  }
  const id = (metadata as Record<string, unknown>)['challenge_id'];
  return typeof id === 'string' && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(id)
    ? id
    : null;
}

/** What the results area shows. */
export type ResultState =
  | { state: 'running'; kind: 'run' | 'submit'; text: string }
  | { state: 'verdict'; verdict: IVerdict; context: IVerdictContext }
  | { state: 'error'; error: Error };

/** The actions of a session (what {@link ChallengeSession.actionStarted} says). */
export type SessionAction = 'run' | 'submit' | 'hints' | 'give-up' | 'restore';

/** Flags that survive a reload (auto-submit once per deadline), shared with the in-notebook bar. */
const memoryFlags = new Set<string>();

function flagged(key: string): boolean {
  try {
    return window.localStorage.getItem(key) !== null || memoryFlags.has(key);
  } catch {
    return memoryFlags.has(key);
  }
}

function setFlag(key: string): void {
  memoryFlags.add(key);
  try {
    window.localStorage.setItem(key, new Date().toISOString());
  } catch {
    // Storage disabled: the in-memory flag still guards this page.
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Options of a session. */
export interface IChallengeSessionOptions {
  api: KodeLabAPI;
  challengeId: string;
  document: INotebookDocument;
  /** Open another notebook (restore into a notebook other than this one). */
  open?: (path: string) => void;
  /** Poll interval while waiting for a verdict. */
  pollMs?: number;
}

/** A challenge notebook's state and actions. */
export class ChallengeSession implements IDisposable {
  constructor(options: IChallengeSessionOptions) {
    this.api = options.api;
    this.challengeId = options.challengeId;
    this.document = options.document;
    this._open = options.open;
    this._pollMs = options.pollMs ?? 150;
  }

  readonly api: KodeLabAPI;
  readonly challengeId: string;
  readonly document: INotebookDocument;

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted once on the first accepted submission (the celebration). */
  get solvedFirstTime(): ISignal<this, IVerdict> {
    return this._solvedFirstTime;
  }

  /** Emitted when an action starts (the UI may bring its results into view). */
  get actionStarted(): ISignal<this, SessionAction> {
    return this._actionStarted;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The public view of the challenge (title, difficulty, ...), once loaded. */
  get info(): IChallengeView | null {
    return this._info;
  }

  /** The title to show (the id until the view is loaded). */
  get title(): string {
    return this._info?.title || this.challengeId;
  }

  /** The server's start record, once started. */
  get started(): IStarted | null {
    return this._started;
  }

  /** The deadline in ms since epoch (server clock), or null when untimed / not started. */
  get deadline(): number | null {
    const raw = this._started?.deadline;
    if (!raw) {
      return null;
    }
    const value = Date.parse(raw);
    return Number.isNaN(value) ? null : value;
  }

  /** The challenge's time limit (shown before the clock starts; 0: none). */
  get timeLimitMinutes(): number {
    return this.info?.time_limit_minutes ?? 0;
  }

  /** Server clock minus browser clock (ms). */
  get skew(): number {
    return this._started?.skew ?? 0;
  }

  /** A request is in flight: every action is disabled. */
  get busy(): boolean {
    return this._busy;
  }

  /** What the request in flight is doing ('' when idle). */
  get busyText(): string {
    return this._busyText;
  }

  /** The last result (or the one being produced). */
  get result(): ResultState | null {
    return this._result;
  }

  /** The hints, once asked for. */
  get hints(): IHints | null {
    return this._hints;
  }

  /** The user's submissions of this challenge, newest first (null until loaded). */
  get history(): ISubmission[] | null {
    return this._history;
  }

  /** Why the history could not be loaded. */
  get historyError(): Error | null {
    return this._historyError;
  }

  /** A short note after a restore ('' otherwise). */
  get notice(): string {
    return this._notice;
  }

  /**
   * Whether the user gave up this challenge (from the server: the give-up reply, the
   * hints, or the check when the notebook opened).
   */
  get gaveUp(): boolean {
    return this._hints?.gave_up ?? this._gaveUp;
  }

  /**
   * Whether Give up applies: not once solved (the hints and, when allowed, the solution are
   * already there) nor once given up (the server keeps the first time; Hints shows it all).
   */
  get canGiveUp(): boolean {
    return !this._solved && !this.gaveUp;
  }

  /** Whether the user has an accepted submission. */
  get solved(): boolean {
    return this._solved;
  }

  /** Submissions so far, null until the history is loaded. */
  get attempts(): number | null {
    return this._history ? this._history.length : null;
  }

  /** The current answer, as the grader would take it from the notebook on screen. */
  currentAnswer(): string {
    return this.document.answerSources().join('\n\n');
  }

  /** Start (or reopen) the challenge and load its view and history; errors are shown. */
  async initialize(): Promise<void> {
    const [started, info, , hints] = await Promise.allSettled([
      this.ensureStarted(),
      this.api.challenge(this.challengeId),
      this.refreshHistory(),
      this.api.hints(this.challengeId)
    ]);
    if (info.status === 'fulfilled') {
      this._info = info.value;
    }
    // Only whether the user gave up: the hints show when asked for.
    if (hints.status === 'fulfilled') {
      this._gaveUp = !!hints.value.gave_up;
    }
    if (started.status === 'rejected' && !this._result) {
      this._result = { state: 'error', error: asError(started.reason) };
    }
    this._emit();
  }

  /** POST start once (again after a failure); the deadline is the server's. */
  ensureStarted(): Promise<IStarted> {
    if (!this._startPromise) {
      this._startPromise = this.api.start(this.challengeId).then(
        started => {
          this._started = started;
          this._scheduleExpiry();
          this._emit();
          return started;
        },
        err => {
          this._startPromise = null;
          throw err;
        }
      );
    }
    return this._startPromise;
  }

  /** Reload the history (and with it attempts and solved). */
  async refreshHistory(): Promise<void> {
    try {
      const history = await this.api.history(this.challengeId);
      if (this._disposed) {
        return;
      }
      this._history = history;
      this._historyError = null;
      this._solved = history.some(s => s.verdict?.verdict === 'accepted');
    } catch (err) {
      this._historyError = asError(err);
    }
    this._emit();
  }

  /** Save, then grade the saved notebook on the visible tests. */
  runTests(): Promise<void> {
    return this._withBusy('run', 'Saving the notebook…', async status => {
      await this.ensureStarted();
      await this.document.save();
      status('Running tests…');
      const verdict = await this.api.run(
        this.challengeId,
        this.document.localPath
      );
      this._result = { state: 'verdict', verdict, context: { kind: 'run' } };
    });
  }

  /** Save, submit the notebook's own path, wait for the verdict, refresh the history. */
  submit(auto = false): Promise<void> {
    const first = auto
      ? 'Time is up: saving and submitting…'
      : 'Saving the notebook…';
    return this._withBusy('submit', first, async status => {
      await this.ensureStarted();
      await this.document.save();
      status('Submitting…');
      const submitted = await this.api.submit(
        this.challengeId,
        this.document.localPath
      );
      const attempt = (this.attempts ?? 0) + 1;
      status('Waiting for a grader…');
      const done = await this.api.waitForVerdict(submitted.id, {
        pollMs: this._pollMs,
        cancelled: () => this._disposed,
        onStatus: s =>
          status(s === 'running' ? 'Running tests…' : 'Waiting for a grader…')
      });
      if (!done || this._disposed) {
        return;
      }
      if (!done.verdict) {
        throw new Error('The grader returned no verdict.');
      }
      const accepted = done.verdict.verdict === 'accepted';
      const firstSolve = accepted && !this._solved;
      this._result = {
        state: 'verdict',
        verdict: done.verdict,
        context: {
          kind: 'submit',
          late: done.late,
          auto,
          firstSolve,
          attempt
        }
      };
      if (accepted) {
        this._solved = true;
      }
      await this.refreshHistory();
      if (firstSolve) {
        this._solvedFirstTime.emit(done.verdict);
      }
    });
  }

  /** Load the hints unlocked so far. */
  showHints(): Promise<void> {
    return this._withBusy('hints', 'Loading hints…', async () => {
      this._hints = await this.api.hints(this.challengeId);
    });
  }

  /**
   * Give up (ask first: see giveup.ts): the server records it and answers with every hint
   * and, when the challenge allows it, the reference solution. Submitting still works.
   */
  giveUp(): Promise<void> {
    return this._withBusy('give-up', 'Giving up…', async () => {
      await this.ensureStarted();
      this._hints = await this.api.giveUp(this.challengeId);
      this._gaveUp = this._hints.gave_up;
    });
  }

  /**
   * Put a submission's code back into the answer cell: save (other cells keep their edits),
   * POST restore (the server rewrites the saved notebook), then reload it from disk.
   */
  restore(submission: ISubmission): Promise<void> {
    return this._withBusy(
      'restore',
      `Restoring submission #${submission.id}…`,
      async () => {
        await this.document.save();
        const restored = await this.api.restore(submission.id);
        if (restored.path === this.document.localPath) {
          await this.document.revert();
          this._notice = `Restored submission #${submission.id} into the answer cell.`;
        } else {
          this._open?.(restored.path);
          this._notice = `Restored submission #${submission.id} into ${restored.path}.`;
        }
      }
    );
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (this._expiryTimer !== null) {
      clearTimeout(this._expiryTimer);
    }
    Signal.clearData(this);
  }

  /** Schedule the deadline check; at the deadline, auto-submit once (like the bar). */
  private _scheduleExpiry(): void {
    if (this._expiryTimer !== null) {
      clearTimeout(this._expiryTimer);
      this._expiryTimer = null;
    }
    const deadline = this.deadline;
    if (deadline === null || this._disposed) {
      return;
    }
    const state = countdownState(deadline, Date.now(), this.skew);
    if (state.expired) {
      // Opened (or reloaded) just after the deadline: submit; long after: never.
      if (this._seenRunning || -(state.left ?? 0) <= AUTO_SUBMIT_WINDOW_MS) {
        this._autoSubmit();
      }
      return;
    }
    this._seenRunning = true;
    // setTimeout's longest delay is 2^31-1 ms: wake up earlier and re-schedule.
    const wait = Math.min((state.left ?? 0) + 50, 2 ** 31 - 1);
    this._expiryTimer = setTimeout(() => {
      this._expiryTimer = null;
      this._scheduleExpiry();
      this._emit();
    }, wait);
  }

  private _autoSubmit(): void {
    const raw = this._started?.deadline;
    if (this._disposed || this._solved || !raw) {
      return;
    }
    const key = `kodelab:auto-submitted:${this.challengeId}:${raw}`;
    if (flagged(key)) {
      return;
    }
    if (this._busy) {
      this._autoSubmitPending = true;
      return;
    }
    // Flag first: a reload, the in-notebook bar or a second view must not submit again.
    setFlag(key);
    void this.submit(true);
  }

  private async _withBusy(
    kind: SessionAction,
    text: string,
    work: (status: (text: string) => void) => Promise<void>
  ): Promise<void> {
    if (this._busy || this._disposed) {
      return;
    }
    this._busy = true;
    this._busyText = text;
    this._notice = '';
    if (kind === 'run' || kind === 'submit') {
      this._result = { state: 'running', kind, text };
    }
    this._actionStarted.emit(kind);
    this._emit();
    const status = (next: string) => {
      if (this._disposed) {
        return;
      }
      this._busyText = next;
      if (this._result?.state === 'running') {
        this._result = { ...this._result, text: next };
      }
      this._emit();
    };
    try {
      await work(status);
    } catch (err) {
      if (!this._disposed) {
        this._result = { state: 'error', error: asError(err) };
      }
    } finally {
      this._busy = false;
      this._busyText = '';
      if (!this._disposed) {
        this._emit();
        if (this._autoSubmitPending) {
          this._autoSubmitPending = false;
          this._autoSubmit();
        }
      }
    }
  }

  private _emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  private _open?: (path: string) => void;
  private _pollMs: number;
  private _disposed = false;
  private _info: IChallengeView | null = null;
  private _started: IStarted | null = null;
  private _startPromise: Promise<IStarted> | null = null;
  private _busy = false;
  private _busyText = '';
  private _result: ResultState | null = null;
  private _hints: IHints | null = null;
  private _history: ISubmission[] | null = null;
  private _historyError: Error | null = null;
  private _notice = '';
  private _solved = false;
  private _gaveUp = false;
  private _seenRunning = false;
  private _autoSubmitPending = false;
  private _expiryTimer: ReturnType<typeof setTimeout> | null = null;
  private _changed = new Signal<this, void>(this);
  private _solvedFirstTime = new Signal<this, IVerdict>(this);
  private _actionStarted = new Signal<this, SessionAction>(this);
}
