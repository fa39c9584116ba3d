/**
 * Verdicts, tests, hints and errors as DOM. Pure functions of their input, so they are unit
 * tested without JupyterLab. Every state is said in words (and a symbol), colour only adds.
 */
import { h, srOnly } from './dom';
import {
  formatDuration,
  formatNumber,
  formatScore,
  parseExpectedGot,
  statusLabel,
  summarize,
  verdictLabel
} from './format';
import { IHints, ITestResult, IVerdict } from './types';

/** How a verdict came about. */
export interface IVerdictContext {
  /** 'run': visible tests only, not an attempt; 'submit': graded on every test. */
  kind: 'run' | 'submit';
  /** Submitted after the deadline. */
  late?: boolean;
  /** Submitted automatically when the time ran out. */
  auto?: boolean;
  /** The first accepted submission of this challenge. */
  firstSolve?: boolean;
  /** The attempt number, when known. */
  attempt?: number | null;
}

/** The one-line headline of a verdict (the banner text and what is announced). */
export function headline(verdict: IVerdict, context: IVerdictContext): string {
  const accepted = verdict.verdict === 'accepted';
  const label = verdictLabel(verdict.verdict);
  let text: string;
  if (context.kind === 'run') {
    text = accepted ? '✓ Visible tests passed' : `✗ Visible tests: ${label}`;
  } else {
    text = accepted
      ? `✓ ${label}${context.firstSolve ? ': solved! 🎉' : ''}`
      : `✗ ${label}`;
  }
  if (context.late) {
    text += ' (late: submitted after the deadline)';
  }
  if (context.auto) {
    text += ' · submitted automatically when time ran out';
  }
  return text;
}

/** One sentence for a live region: verdict, tests passed, score. */
export function announcement(
  verdict: IVerdict,
  context: IVerdictContext
): string {
  const what = context.kind === 'run' ? 'Visible tests' : 'Submission';
  return (
    `${what}: ${verdictLabel(verdict.verdict)}. ${summarize(verdict)}. ` +
    `Score ${formatScore(verdict.score, verdict.max_score)}.`
  );
}

/** A test's details: expected vs got for a visible wrong answer, else the message. */
function testDetails(test: ITestResult): HTMLElement | null {
  if (!test.message) {
    return null;
  }
  const parts = test.visible ? parseExpectedGot(test.message) : null;
  if (!parts) {
    return h('pre', { class: 'kodelab-TestCard-message', text: test.message });
  }
  const row = (term: string, value: string, cls: string): HTMLElement[] => [
    h('dt', { text: term }),
    h('dd', {}, h('code', { class: cls, text: value }))
  ];
  return h(
    'dl',
    { class: 'kodelab-TestCard-details' },
    ...row('Input', parts.input, 'kodelab-TestCard-input'),
    ...row('Expected', parts.expected, 'kodelab-TestCard-expected'),
    ...row('Got', parts.got, 'kodelab-TestCard-got')
  );
}

/** One test as a card: status (symbol + word), name, points, duration, details. */
export function renderTestCard(test: ITestResult): HTMLElement {
  const status = statusLabel(String(test.status));
  const meta = [
    test.visible ? 'visible' : 'hidden',
    `${formatNumber(test.points)}/${formatNumber(test.max_points)} pt`,
    formatDuration(test.duration_s)
  ].filter(Boolean);
  return h(
    'li',
    {
      class: `kodelab-TestCard kodelab-mod-${status.label}`,
      'data-status': status.label,
      'data-test': test.name
    },
    h(
      'div',
      { class: 'kodelab-TestCard-header' },
      h(
        'span',
        { class: 'kodelab-TestCard-status' },
        h('span', {
          class: 'kodelab-TestCard-symbol',
          'aria-hidden': 'true',
          text: status.symbol
        }),
        ` ${status.label}`
      ),
      h('span', { class: 'kodelab-TestCard-name', text: test.name }),
      h('span', { class: 'kodelab-TestCard-meta', text: meta.join(' · ') })
    ),
    testDetails(test)
  );
}

/** A whole verdict: banner, summary line, run-wide message, one card per test. */
export function renderVerdict(
  verdict: IVerdict,
  context: IVerdictContext
): HTMLElement {
  const accepted = verdict.verdict === 'accepted';
  const tests = verdict.tests ?? [];
  const summary = [
    summarize(verdict),
    `Score ${formatScore(verdict.score, verdict.max_score)}`,
    formatDuration(verdict.duration_s),
    context.kind === 'submit' && context.attempt
      ? `attempt ${context.attempt}`
      : null,
    context.kind === 'run' ? 'visible tests only, not an attempt' : null
  ].filter(Boolean);
  return h(
    'div',
    {
      class: `kodelab-Verdict kodelab-mod-${accepted ? 'accepted' : 'rejected'}`,
      'data-verdict': verdict.verdict
    },
    h('div', {
      class: `kodelab-Verdict-banner kodelab-mod-${accepted ? 'accepted' : 'rejected'}`,
      text: headline(verdict, context)
    }),
    h('div', { class: 'kodelab-Verdict-summary', text: summary.join(' · ') }),
    verdict.message
      ? h('pre', { class: 'kodelab-Verdict-message', text: verdict.message })
      : null,
    tests.length
      ? h(
          'ul',
          { class: 'kodelab-TestList', 'aria-label': 'Test results' },
          ...tests.map(renderTestCard)
        )
      : null
  );
}

/** A grading run in progress. */
export function renderRunning(text: string): HTMLElement {
  return h(
    'div',
    { class: 'kodelab-Running' },
    h('span', { class: 'kodelab-Spinner', 'aria-hidden': 'true' }),
    h('span', { text })
  );
}

/** An error as a readable message (role=alert). */
export function renderError(error: unknown): HTMLElement {
  const message =
    error instanceof Error ? error.message : String(error ?? 'Unknown error');
  return h(
    'div',
    { class: 'kodelab-Error', role: 'alert' },
    h('span', { 'aria-hidden': 'true', text: '⚠ ' }),
    srOnly('Error: '),
    message
  );
}

/**
 * The reference solution as a read-only code block (open when asked for by giving up). It is
 * only shown: nothing puts it into the notebook.
 */
export function renderSolution(solution: string, open = false): HTMLElement {
  return h(
    'details',
    { class: 'kodelab-Hints-solution', open },
    h('summary', { text: 'Reference solution' }),
    h(
      'pre',
      {
        class: 'kodelab-Solution',
        'aria-label': 'Reference solution (read-only)',
        tabindex: 0
      },
      h('code', { text: solution })
    )
  );
}

/** The hints unlocked so far, and the reference solution once allowed. */
export function renderHints(hints: IHints): HTMLElement {
  const children: HTMLElement[] = [];
  if (hints.gave_up) {
    children.push(
      h('p', {
        class: 'kodelab-Hints-gaveUp',
        text:
          'You gave up on this challenge: every hint is unlocked. ' +
          'You can still submit; submissions are graded as usual.'
      })
    );
  }
  if (hints.hints.length) {
    children.push(
      h('div', {
        class: 'kodelab-Hints-title',
        text: `Hints (${hints.hints.length} of ${hints.total} unlocked)`
      }),
      h('ol', {}, ...hints.hints.map(hint => h('li', { text: hint })))
    );
  } else if (hints.total) {
    children.push(
      h('div', {
        text: `No hints unlocked yet: each failed submission unlocks one (${hints.total} available).`
      })
    );
  } else {
    children.push(h('div', { text: 'This challenge has no hints.' }));
  }
  if (hints.solution) {
    children.push(renderSolution(hints.solution, hints.gave_up));
  } else if (hints.gave_up) {
    children.push(
      h('div', {
        class: 'kodelab-Hints-noSolution',
        text: 'This challenge does not reveal its reference solution.'
      })
    );
  }
  return h('div', { class: 'kodelab-Hints' }, ...children);
}
