import {
  announcement,
  headline,
  renderError,
  renderHints,
  renderTestCard,
  renderVerdict
} from '../render';
import { IVerdict } from '../types';

const WRONG: IVerdict = {
  verdict: 'wrong_answer',
  score: 3,
  max_score: 5,
  duration_s: 0.21,
  tests: [
    {
      name: 'example',
      visible: true,
      status: 'passed',
      points: 1,
      max_points: 1,
      duration_s: 0.001,
      message: ''
    },
    {
      name: 'example-2',
      visible: true,
      status: 'failed',
      points: 0,
      max_points: 1,
      duration_s: 0.002,
      message: 'input: two_sum([1, 5, 8, 3], 11); expected: [2, 3]; got: None'
    },
    {
      name: 'duplicates',
      visible: false,
      status: 'passed',
      points: 2,
      max_points: 2,
      duration_s: 0.001
    },
    {
      name: 'negatives',
      visible: false,
      status: 'error',
      points: 0,
      max_points: 1,
      duration_s: 0.003,
      message: 'ZeroDivisionError'
    },
    {
      name: 'large-input',
      visible: false,
      status: 'timeout',
      points: 0,
      max_points: 1,
      duration_s: 2
    }
  ]
};

describe('renderVerdict', () => {
  it('shows a banner, the summary and one card per test', () => {
    const node = renderVerdict(WRONG, { kind: 'submit', attempt: 2 });
    expect(node.dataset.verdict).toBe('wrong_answer');
    expect(node.querySelector('.kodelab-Verdict-banner')?.textContent).toBe(
      '✗ Wrong answer'
    );
    expect(node.querySelector('.kodelab-Verdict-summary')?.textContent).toBe(
      '2/5 passed · Score 3 / 5 · 210 ms · attempt 2'
    );
    const cards = [
      ...node.querySelectorAll('.kodelab-TestCard')
    ] as HTMLElement[];
    expect(cards.map(c => c.dataset.status)).toEqual([
      'passed',
      'failed',
      'passed',
      'error',
      'timeout'
    ]);
    expect(node.querySelector('ul')?.getAttribute('aria-label')).toBe(
      'Test results'
    );
  });

  it('says each status in words, not only with colour', () => {
    const node = renderVerdict(WRONG, { kind: 'submit' });
    const statuses = [...node.querySelectorAll('.kodelab-TestCard-status')].map(
      s => s.textContent
    );
    expect(statuses).toEqual([
      '✓ passed',
      '✗ failed',
      '✓ passed',
      '! error',
      '⏱ timeout'
    ]);
    // The symbols are decoration for screen readers.
    expect(
      node
        .querySelector('.kodelab-TestCard-symbol')
        ?.getAttribute('aria-hidden')
    ).toBe('true');
  });

  it('shows expected vs got for a visible failing test', () => {
    const node = renderVerdict(WRONG, { kind: 'submit' });
    const failed = node.querySelector('[data-test="example-2"]')!;
    const terms = [...failed.querySelectorAll('dt')].map(t => t.textContent);
    const values = [...failed.querySelectorAll('dd')].map(d => d.textContent);
    expect(terms).toEqual(['Input', 'Expected', 'Got']);
    expect(values).toEqual(['two_sum([1, 5, 8, 3], 11)', '[2, 3]', 'None']);
    expect(failed.querySelector('.kodelab-TestCard-meta')?.textContent).toBe(
      'visible · 0/1 pt · 2 ms'
    );
  });

  it('shows a hidden test by name, status and class name only', () => {
    const node = renderVerdict(WRONG, { kind: 'submit' });
    const hidden = node.querySelector('[data-test="negatives"]')!;
    expect(hidden.querySelector('dl')).toBeNull();
    expect(hidden.querySelector('pre')?.textContent).toBe('ZeroDivisionError');
    expect(hidden.querySelector('.kodelab-TestCard-meta')?.textContent).toMatch(
      /^hidden/
    );
  });

  it('never interprets messages as HTML', () => {
    const node = renderTestCard({
      name: 'x',
      visible: true,
      status: 'failed',
      points: 0,
      max_points: 1,
      duration_s: 0,
      message: '<img src=x onerror=alert(1)>'
    });
    expect(node.querySelector('img')).toBeNull();
    expect(node.textContent).toContain('<img src=x onerror=alert(1)>');
  });

  it('celebrates a first solve, marks late and run-only verdicts', () => {
    const accepted: IVerdict = {
      ...WRONG,
      verdict: 'accepted',
      score: 5,
      tests: []
    };
    expect(headline(accepted, { kind: 'submit', firstSolve: true })).toBe(
      '✓ Accepted: solved! 🎉'
    );
    expect(headline(accepted, { kind: 'submit', late: true })).toBe(
      '✓ Accepted (late: submitted after the deadline)'
    );
    expect(headline(accepted, { kind: 'run' })).toBe('✓ Visible tests passed');
    expect(headline(WRONG, { kind: 'run' })).toBe(
      '✗ Visible tests: Wrong answer'
    );
    const run = renderVerdict(accepted, { kind: 'run' });
    expect(
      run.querySelector('.kodelab-Verdict-summary')?.textContent
    ).toContain('visible tests only, not an attempt');
  });

  it('shows a run-wide message (compile error)', () => {
    const node = renderVerdict(
      {
        ...WRONG,
        verdict: 'compile_error',
        message: 'answer cell: invalid syntax (line 2)',
        tests: []
      },
      { kind: 'submit' }
    );
    expect(node.querySelector('.kodelab-Verdict-message')?.textContent).toBe(
      'answer cell: invalid syntax (line 2)'
    );
    expect(node.querySelector('.kodelab-TestList')).toBeNull();
  });

  it('announces the outcome in one sentence', () => {
    expect(announcement(WRONG, { kind: 'submit' })).toBe(
      'Submission: Wrong answer. 2/5 passed. Score 3 / 5.'
    );
  });
});

describe('errors and hints', () => {
  it('renders API errors as alerts', () => {
    const node = renderError(
      new Error('At most 10 submissions per minute [HTTP 429]')
    );
    expect(node.getAttribute('role')).toBe('alert');
    expect(node.textContent).toContain(
      'At most 10 submissions per minute [HTTP 429]'
    );
  });

  it('renders hints and the locked state', () => {
    const none = renderHints({
      challenge_id: 'a',
      hints: [],
      total: 2,
      gave_up: false,
      solution: null
    });
    expect(none.textContent).toContain('No hints unlocked yet');
    const some = renderHints({
      challenge_id: 'a',
      hints: ['Use a dict'],
      total: 2,
      gave_up: false,
      solution: 'def f(): ...'
    });
    expect(some.querySelector('.kodelab-Hints-title')?.textContent).toBe(
      'Hints (1 of 2 unlocked)'
    );
    expect(some.querySelectorAll('li')).toHaveLength(1);
    expect(some.querySelector('details pre')?.textContent).toBe('def f(): ...');
    // Solved (not given up): the solution is there but folded.
    expect(some.querySelector('details')?.hasAttribute('open')).toBe(false);
    expect(some.querySelector('.kodelab-Hints-gaveUp')).toBeNull();
  });

  it('after giving up, says so and shows the solution as an open read-only code block', () => {
    const node = renderHints({
      challenge_id: 'a',
      hints: ['Use a dict', 'One pass'],
      total: 2,
      gave_up: true,
      solution: 'def f():\n    return 1'
    });
    expect(node.querySelector('.kodelab-Hints-gaveUp')?.textContent).toMatch(
      /You gave up.*You can still submit/
    );
    expect(node.querySelector('.kodelab-Hints-title')?.textContent).toBe(
      'Hints (2 of 2 unlocked)'
    );
    const details = node.querySelector('details.kodelab-Hints-solution')!;
    expect(details.hasAttribute('open')).toBe(true);
    expect(details.querySelector('summary')?.textContent).toBe(
      'Reference solution'
    );
    const code = details.querySelector('pre.kodelab-Solution > code')!;
    expect(code.textContent).toBe('def f():\n    return 1');
    // Text, never markup or an editor: nothing can run or edit it.
    expect(code.children).toHaveLength(0);
    expect(node.querySelector('textarea, [contenteditable]')).toBeNull();
  });

  it('after giving up without a solution reveal, says the solution stays hidden', () => {
    const node = renderHints({
      challenge_id: 'a',
      hints: [],
      total: 0,
      gave_up: true,
      solution: null
    });
    expect(node.textContent).toContain('This challenge has no hints.');
    expect(node.querySelector('.kodelab-Hints-noSolution')?.textContent).toBe(
      'This challenge does not reveal its reference solution.'
    );
    expect(node.querySelector('details')).toBeNull();
  });
});
