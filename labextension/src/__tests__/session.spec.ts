import { KodeLabAPI } from '../api';
import { ChallengeSession, INotebookDocument, challengeIdOf } from '../session';
import { ISubmission, IVerdict } from '../types';

const ACCEPTED: IVerdict = {
  verdict: 'accepted',
  score: 5,
  max_score: 5,
  duration_s: 0.1,
  tests: []
};
const WRONG: IVerdict = {
  verdict: 'wrong_answer',
  score: 1,
  max_score: 5,
  duration_s: 0.1,
  tests: []
};

/** A fake API recording calls; `verdicts` are handed out one per submission. */
function fakeApi(verdicts: IVerdict[], deadline: string | null = null) {
  const calls: string[] = [];
  const history: ISubmission[] = [];
  let next = 1;
  let gaveUp = false;
  const api = {
    start: jest.fn(async (id: string) => {
      calls.push(`start ${id}`);
      return {
        path: 'kodelab/two-sum.ipynb',
        started_at: 'now',
        deadline,
        skew: 0
      };
    }),
    challenge: jest.fn(async (id: string) => ({
      id,
      title: 'Two Sum',
      difficulty: 'easy',
      category: 'arrays',
      tags: [],
      language: 'python',
      time_limit_minutes: 15
    })),
    history: jest.fn(async () => [...history]),
    run: jest.fn(async (id: string, path: string) => {
      calls.push(`run ${id} ${path}`);
      return WRONG;
    }),
    submit: jest.fn(async (id: string, path: string) => {
      calls.push(`submit ${id} ${path}`);
      return { id: next, status: 'pending', late: false };
    }),
    waitForVerdict: jest.fn(async (id: number) => {
      const verdict = verdicts.shift()!;
      const done: ISubmission = {
        id,
        challenge_id: 'two-sum',
        status: 'done',
        kind: 'submit',
        late: false,
        created_at: '2030-01-01T00:00:00+00:00',
        finished_at: null,
        verdict,
        code: `answer ${id}`
      };
      history.unshift(done);
      next += 1;
      return done;
    }),
    hints: jest.fn(async () => ({
      challenge_id: 'two-sum',
      hints: gaveUp ? ['h1', 'h2'] : ['h1'],
      total: 2,
      gave_up: gaveUp,
      solution: gaveUp ? 'def two_sum(nums, target): ...' : null
    })),
    giveUp: jest.fn(async (id: string) => {
      calls.push(`give-up ${id}`);
      gaveUp = true;
      return {
        challenge_id: id,
        hints: ['h1', 'h2'],
        total: 2,
        gave_up: true,
        solution: 'def two_sum(nums, target): ...'
      };
    }),
    restore: jest.fn(async (id: number) => {
      calls.push(`restore ${id}`);
      return { path: 'kodelab/two-sum.ipynb', submission_id: id };
    })
  };
  return {
    api: api as unknown as KodeLabAPI,
    calls,
    mock: api,
    setGaveUp: (value: boolean) => {
      gaveUp = value;
    }
  };
}

function fakeDocument(
  calls: string[],
  localPath = 'kodelab/two-sum.ipynb'
): INotebookDocument {
  return {
    localPath,
    save: async () => {
      calls.push('save');
    },
    revert: async () => {
      calls.push('revert');
    },
    answerSources: () => ['def two_sum(nums, target):', '    return []']
  };
}

describe('challengeIdOf', () => {
  it('reads kodelab.challenge_id from notebook metadata', () => {
    expect(challengeIdOf({ challenge_id: 'two-sum', format: 1 })).toBe(
      'two-sum'
    );
    expect(challengeIdOf({ challenge_id: '../etc' })).toBeNull();
    expect(challengeIdOf(undefined)).toBeNull();
    expect(challengeIdOf('two-sum')).toBeNull();
  });
});

describe('ChallengeSession', () => {
  it('starts, loads the view and the history', async () => {
    const { api, calls } = fakeApi([]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await session.initialize();
    expect(calls).toEqual(['start two-sum']);
    expect(session.title).toBe('Two Sum');
    expect(session.attempts).toBe(0);
    expect(session.deadline).toBeNull();
  });

  it('saves through the document before submitting its own path', async () => {
    const { api, calls } = fakeApi([WRONG]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls, 'my-work/two-sum.ipynb')
    });
    const busy: boolean[] = [];
    session.changed.connect(() => busy.push(session.busy));
    await session.submit();
    expect(calls).toEqual([
      'start two-sum',
      'save',
      'submit two-sum my-work/two-sum.ipynb'
    ]);
    expect(busy[0]).toBe(true);
    expect(session.busy).toBe(false);
    expect(session.result).toMatchObject({
      state: 'verdict',
      verdict: WRONG,
      context: { kind: 'submit', attempt: 1 }
    });
    expect(session.attempts).toBe(1);
  });

  it('ignores actions while one is in flight', async () => {
    const { api, calls } = fakeApi([WRONG, WRONG]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await Promise.all([session.submit(), session.submit(), session.runTests()]);
    expect(calls.filter(c => c.startsWith('submit'))).toHaveLength(1);
    expect(calls.filter(c => c.startsWith('run'))).toHaveLength(0);
  });

  it('celebrates only the first accepted submission', async () => {
    const { api, calls } = fakeApi([WRONG, ACCEPTED, ACCEPTED]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    const celebrations: IVerdict[] = [];
    session.solvedFirstTime.connect((_, v) => celebrations.push(v));
    await session.submit();
    await session.submit();
    expect(session.result).toMatchObject({
      context: { firstSolve: true, attempt: 2 }
    });
    await session.submit();
    expect(session.result).toMatchObject({
      context: { firstSolve: false, attempt: 3 }
    });
    expect(celebrations).toHaveLength(1);
    expect(session.solved).toBe(true);
  });

  it('runs the visible tests on the saved notebook', async () => {
    const { api, calls } = fakeApi([]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await session.runTests();
    expect(calls).toEqual([
      'start two-sum',
      'save',
      'run two-sum kodelab/two-sum.ipynb'
    ]);
    expect(session.result).toMatchObject({
      state: 'verdict',
      context: { kind: 'run' }
    });
  });

  it('shows API errors as results', async () => {
    const { api, calls, mock } = fakeApi([]);
    mock.submit.mockRejectedValueOnce(
      new Error('At most 10 submissions per minute [HTTP 429]')
    );
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await session.submit();
    expect(session.result).toMatchObject({ state: 'error' });
    expect((session.result as any).error.message).toMatch(/HTTP 429/);
    expect(session.busy).toBe(false);
  });

  it('restores: save, POST restore, reload from disk', async () => {
    const { api, calls } = fakeApi([WRONG]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await session.submit();
    calls.length = 0;
    await session.restore(session.history![0]);
    expect(calls).toEqual(['save', 'restore 1', 'revert']);
    expect(session.notice).toMatch(/Restored submission #1/);
  });

  it('opens the restored notebook when it is another file', async () => {
    const { api, calls } = fakeApi([WRONG]);
    const opened: string[] = [];
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls, 'copy.ipynb'),
      open: path => opened.push(path)
    });
    await session.submit();
    await session.restore(session.history![0]);
    expect(opened).toEqual(['kodelab/two-sum.ipynb']);
    expect(calls).not.toContain('revert');
  });

  it('joins the answer cells like the grader', () => {
    const { api, calls } = fakeApi([]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    expect(session.currentAnswer()).toBe(
      'def two_sum(nums, target):\n\n    return []'
    );
  });

  it('auto-submits once when a page opens just after the deadline', async () => {
    const deadline = new Date(Date.now() - 1000).toISOString();
    const { api, calls } = fakeApi([WRONG, WRONG], deadline);
    const first = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await first.ensureStarted();
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(calls.filter(c => c.startsWith('submit'))).toHaveLength(1);
    expect(first.result).toMatchObject({ context: { auto: true } });
    // A second view of the same deadline (reload, the in-notebook bar) does not submit again.
    const second = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await second.ensureStarted();
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(calls.filter(c => c.startsWith('submit'))).toHaveLength(1);
    expect(
      window.localStorage.getItem(`kodelab:auto-submitted:two-sum:${deadline}`)
    ).not.toBeNull();
  });

  it('never auto-submits an old notebook', async () => {
    const deadline = new Date(Date.now() - 60 * 60 * 1000).toISOString();
    const { api, calls } = fakeApi([WRONG], deadline);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await session.ensureStarted();
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(calls.filter(c => c.startsWith('submit'))).toHaveLength(0);
  });
});

describe('ChallengeSession: give up', () => {
  it('starts first, then holds every hint and the solution from the server', async () => {
    const { api, calls } = fakeApi([]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    const actions: string[] = [];
    session.actionStarted.connect((_, kind) => actions.push(kind));
    const busy: boolean[] = [];
    session.changed.connect(() => busy.push(session.busy));
    expect(session.canGiveUp).toBe(true);
    await session.giveUp();
    expect(calls).toEqual(['start two-sum', 'give-up two-sum']);
    expect(actions).toEqual(['give-up']);
    expect(busy[0]).toBe(true);
    expect(session.busy).toBe(false);
    expect(session.hints).toMatchObject({
      hints: ['h1', 'h2'],
      gave_up: true,
      solution: 'def two_sum(nums, target): ...'
    });
    expect(session.gaveUp).toBe(true);
    // It does not touch the notebook: no save, no reload.
    expect(calls).not.toContain('save');
    expect(calls).not.toContain('revert');
  });

  it('no longer offers Give up once given up, yet still submits', async () => {
    const { api, calls } = fakeApi([WRONG]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await session.giveUp();
    expect(session.canGiveUp).toBe(false);
    await session.submit();
    expect(calls.filter(c => c.startsWith('submit'))).toHaveLength(1);
    expect(session.attempts).toBe(1);
  });

  it('does not offer Give up once solved', async () => {
    const { api, calls } = fakeApi([ACCEPTED]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await session.submit();
    expect(session.solved).toBe(true);
    expect(session.canGiveUp).toBe(false);
  });

  it('learns when the notebook opens that the user already gave up', async () => {
    const { api, calls, setGaveUp } = fakeApi([]);
    setGaveUp(true);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await session.initialize();
    expect(session.gaveUp).toBe(true);
    expect(session.canGiveUp).toBe(false);
    // The hints only show when asked for.
    expect(session.hints).toBeNull();
  });

  it('is ignored while a grading run is in flight', async () => {
    const { api, calls } = fakeApi([WRONG]);
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await Promise.all([session.submit(), session.giveUp()]);
    expect(calls).not.toContain('give-up two-sum');
    expect(session.gaveUp).toBe(false);
  });

  it('shows an API error as a readable result and keeps Give up available', async () => {
    const { api, calls, mock } = fakeApi([]);
    mock.giveUp.mockRejectedValueOnce(
      new Error('start the challenge before giving up [HTTP 409]')
    );
    const session = new ChallengeSession({
      api,
      challengeId: 'two-sum',
      document: fakeDocument(calls)
    });
    await session.giveUp();
    expect(session.result).toMatchObject({ state: 'error' });
    expect((session.result as any).error.message).toMatch(/HTTP 409/);
    expect(session.busy).toBe(false);
    expect(session.canGiveUp).toBe(true);
  });
});
