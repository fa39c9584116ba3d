/**
 * Pure formatting: countdown, verdict and status labels, scores, times. No DOM here.
 *
 * The thresholds and wording match the in-notebook challenge bar
 * (kodelab_jupyter/static/challenge_bar.js), so both say the same thing at the same time;
 * the bar's clock emoji is drawn as an icon here (not every system has an emoji font).
 */
import { IVerdict } from './types';

/** The last minute of a countdown is shown in amber, and said in words. */
export const WARN_MS = 60 * 1000;

/**
 * A page opened (or reloaded) after the deadline auto-submits only within this window, so
 * opening an old notebook never files a surprise late attempt.
 */
export const AUTO_SUBMIT_WINDOW_MS = 5000;

/** `m:ss`, or `h:mm:ss` from one hour on; never negative; rounds up to whole seconds. */
export function formatLeft(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours
    ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`
    : `${minutes}:${seconds}`;
}

/** What a countdown shows at one instant. */
export interface ICountdownState {
  /** The visible text. */
  text: string;
  /** A longer sentence for assistive technology (aria-label / title). */
  label: string;
  /** In the last minute (amber). */
  warning: boolean;
  /** The deadline has passed. */
  expired: boolean;
  /** Milliseconds left (negative once expired), null when untimed. */
  left: number | null;
}

/**
 * The countdown to `deadline` (ms since epoch on the server's clock) at browser time `now`,
 * corrected by `skew` (server clock minus browser clock). `deadline` null: untimed.
 */
export function countdownState(
  deadline: number | null,
  now: number,
  skew = 0,
  timeLimitMinutes = 0
): ICountdownState {
  if (deadline === null) {
    const text = timeLimitMinutes ? `${timeLimitMinutes} min` : 'No time limit';
    return {
      text,
      label: timeLimitMinutes
        ? `Time limit ${timeLimitMinutes} minutes`
        : 'No time limit',
      warning: false,
      expired: false,
      left: null
    };
  }
  const left = deadline - (now + skew);
  if (left > 0) {
    const warning = left <= WARN_MS;
    const shown = formatLeft(left);
    return {
      text: warning ? `⚠ ${shown} left (under a minute)` : `${shown} left`,
      label: warning
        ? `Less than a minute left: ${shown}`
        : `Time left: ${shown}`,
      warning,
      expired: false,
      left
    };
  }
  return {
    text: 'Time is up',
    label: 'Time is up',
    warning: false,
    expired: true,
    left
  };
}

/** Readable names of the overall verdicts. */
export const VERDICT_LABELS: Record<string, string> = {
  accepted: 'Accepted',
  wrong_answer: 'Wrong answer',
  runtime_error: 'Runtime error',
  time_limit_exceeded: 'Time limit exceeded',
  memory_limit_exceeded: 'Memory limit exceeded',
  output_limit_exceeded: 'Output limit exceeded',
  compile_error: 'Compile error',
  internal_error: 'Internal error (not your fault: please try again)'
};

/** The label of a verdict name (unknown names are shown as sent). */
export function verdictLabel(verdict: string): string {
  return VERDICT_LABELS[verdict] ?? String(verdict);
}

/** Symbol and word of each test status: never colour alone. */
export const STATUS_LABELS: Record<string, { symbol: string; label: string }> =
  {
    passed: { symbol: '✓', label: 'passed' },
    failed: { symbol: '✗', label: 'failed' },
    error: { symbol: '!', label: 'error' },
    timeout: { symbol: '⏱', label: 'timeout' },
    skipped: { symbol: '–', label: 'skipped' }
  };

/** Symbol and word of a test status. */
export function statusLabel(status: string): { symbol: string; label: string } {
  return STATUS_LABELS[status] ?? { symbol: '?', label: String(status) };
}

/** A number with at most two decimals (`?` when missing). */
export function formatNumber(value: unknown): string {
  return typeof value === 'number'
    ? String(Math.round(value * 100) / 100)
    : String(value ?? '?');
}

/** A duration in seconds: `12 ms` under a second, else `1.23 s`. */
export function formatDuration(seconds: unknown): string {
  if (typeof seconds !== 'number' || Number.isNaN(seconds)) {
    return '';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  return `${formatNumber(seconds)} s`;
}

/** `3/4 passed` (skipped tests count as not passed). */
export function summarize(verdict: Pick<IVerdict, 'tests'>): string {
  const tests = verdict.tests ?? [];
  const passed = tests.filter(t => t.status === 'passed').length;
  return `${passed}/${tests.length} passed`;
}

/** `Score 3 / 5`. */
export function formatScore(score: unknown, maxScore: unknown): string {
  return `${formatNumber(score)} / ${formatNumber(maxScore)}`;
}

/** A server timestamp (ISO 8601) in the browser's locale; '' when missing or invalid. */
export function formatWhen(iso: string | null | undefined): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  return date.toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium'
  });
}

/** The parts of a visible test's failure message. */
export interface IExpectedGot {
  input: string;
  expected: string;
  got: string;
}

/**
 * Split a visible wrong-answer message, `input: f(...); expected: X; got: Y` (written by the
 * judge), into its parts; null for any other message (shown as it is).
 */
export function parseExpectedGot(
  message: string | undefined
): IExpectedGot | null {
  if (!message || !message.startsWith('input: ')) {
    return null;
  }
  const expectedAt = message.indexOf('; expected: ');
  const gotAt = message.lastIndexOf('; got: ');
  if (expectedAt < 0 || gotAt < expectedAt) {
    return null;
  }
  return {
    input: message.slice('input: '.length, expectedAt),
    expected: message.slice(expectedAt + '; expected: '.length, gotAt),
    got: message.slice(gotAt + '; got: '.length)
  };
}
