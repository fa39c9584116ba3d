import {
  WARN_MS,
  countdownState,
  formatDuration,
  formatLeft,
  formatScore,
  parseExpectedGot,
  summarize,
  verdictLabel
} from '../format';

describe('formatLeft', () => {
  it.each([
    [0, '0:00'],
    [-5000, '0:00'],
    [1, '0:01'],
    [59_001, '1:00'],
    [61_000, '1:01'],
    [15 * 60_000, '15:00'],
    [3_600_000, '1:00:00'],
    [3_725_000, '1:02:05']
  ])('%d ms is %s', (ms, text) => {
    expect(formatLeft(ms)).toBe(text);
  });
});

describe('countdownState', () => {
  const deadline = Date.parse('2030-01-01T00:15:00Z');

  it('counts down to the server deadline', () => {
    const state = countdownState(deadline, deadline - 5 * 60_000);
    expect(state).toMatchObject({
      text: '5:00 left',
      warning: false,
      expired: false
    });
    expect(state.label).toBe('Time left: 5:00');
  });

  it('turns amber, with words, in the last minute', () => {
    expect(countdownState(deadline, deadline - WARN_MS - 1).warning).toBe(
      false
    );
    const state = countdownState(deadline, deadline - WARN_MS);
    expect(state.warning).toBe(true);
    expect(state.text).toBe('⚠ 1:00 left (under a minute)');
    expect(state.label).toBe('Less than a minute left: 1:00');
    expect(countdownState(deadline, deadline - 1).warning).toBe(true);
  });

  it('says when the time is up', () => {
    for (const now of [deadline, deadline + 10_000]) {
      const state = countdownState(deadline, now);
      expect(state).toMatchObject({
        text: 'Time is up',
        expired: true,
        warning: false
      });
    }
  });

  it('corrects the browser clock by the server skew', () => {
    // The server is 30 s ahead of the browser: 30 s less left.
    const state = countdownState(deadline, deadline - 90_000, 30_000);
    expect(state.text).toBe('⚠ 1:00 left (under a minute)');
  });

  it('shows the limit (or none) when untimed', () => {
    expect(countdownState(null, 0, 0, 15).text).toBe('15 min');
    expect(countdownState(null, 0).text).toBe('No time limit');
    expect(countdownState(null, 0).expired).toBe(false);
  });
});

describe('verdict formatting', () => {
  it('summarizes passed tests', () => {
    const tests = ['passed', 'failed', 'passed', 'passed', 'skipped'].map(
      (status, i) => ({
        name: `t${i}`,
        visible: true,
        status,
        points: 1,
        max_points: 1,
        duration_s: 0
      })
    );
    expect(summarize({ tests })).toBe('3/5 passed');
    expect(summarize({ tests: [] })).toBe('0/0 passed');
  });

  it('labels verdicts and scores', () => {
    expect(verdictLabel('wrong_answer')).toBe('Wrong answer');
    expect(verdictLabel('something_new')).toBe('something_new');
    expect(formatScore(3, 5)).toBe('3 / 5');
    expect(formatScore(1 / 3, 1)).toBe('0.33 / 1');
  });

  it('formats durations', () => {
    expect(formatDuration(0.0123)).toBe('12 ms');
    expect(formatDuration(1.234)).toBe('1.23 s');
    expect(formatDuration(undefined)).toBe('');
  });
});

describe('parseExpectedGot', () => {
  it('splits the judge message of a visible wrong answer', () => {
    expect(
      parseExpectedGot(
        'input: two_sum([2, 7, 11, 15], 9); expected: [0, 1]; got: [1, 0]'
      )
    ).toEqual({
      input: 'two_sum([2, 7, 11, 15], 9)',
      expected: '[0, 1]',
      got: '[1, 0]'
    });
  });

  it('keeps separators inside values', () => {
    expect(
      parseExpectedGot(
        "input: f('a; b'); expected: 'x; expected: y'; got: None"
      )
    ).toEqual({
      input: "f('a; b')",
      expected: "'x; expected: y'",
      got: 'None'
    });
  });

  it('leaves other messages alone', () => {
    expect(parseExpectedGot('ZeroDivisionError')).toBeNull();
    expect(parseExpectedGot('assertion failed: assert f(1) == 2')).toBeNull();
    expect(parseExpectedGot(undefined)).toBeNull();
  });
});
