import { Signal } from '@lumino/signaling';

import { KodeLabAPI, KodeLabApiError } from '../api';
import {
  IInterviewDocument,
  IInterviewRound,
  IInterviewView,
  InterviewTracker,
  documentIsBehind,
  interviewToolbarItems,
  roundLabel
} from '../interviewbar';
import { interviewSessionOf } from '../sessionnotebook';

const PATH = 'kodelab/interviews/drill-7.ipynb';

function round(
  index: number,
  id: string,
  type: string,
  status: string,
  deadline: string | null = null
): IInterviewRound {
  return {
    index,
    id,
    type,
    title: `Round ${id}`,
    time_minutes: 1,
    status,
    opened_at: status === 'pending' ? null : '2030-01-01T00:00:00+00:00',
    deadline,
    score: null
  };
}

function view(
  current: number | null,
  rounds: IInterviewRound[],
  status = 'active'
): IInterviewView {
  return {
    id: 7,
    scenario_id: 'drill',
    title: 'Drill',
    status,
    path: PATH,
    current_round: current,
    round_count: rounds.length,
    rounds,
    overall_score: null
  };
}

/** A response without a Date header (no clock skew). */
const NO_DATE = { headers: { get: () => null } };

const FAR = '2999-01-01T00:00:00+00:00';
const QUIZ_OPEN = view(0, [
  round(0, 'quiz', 'quiz', 'open', FAR),
  round(1, 'code', 'python', 'pending')
]);
const CODE_OPEN = view(1, [
  round(0, 'quiz', 'quiz', 'submitted'),
  round(1, 'code', 'python', 'open', FAR)
]);
const FINISHED = view(
  null,
  [
    round(0, 'quiz', 'quiz', 'submitted'),
    round(1, 'code', 'python', 'skipped')
  ],
  'finished'
);

/** An API answering GET with the current `state` and recording every call. */
function fakeApi(state: { view: IInterviewView | Error }) {
  const calls: string[] = [];
  const request = jest.fn(
    async (
      method: string,
      endpoint: string,
      options: { body?: unknown } = {}
    ) => {
      calls.push(
        `${method} ${endpoint}${options.body ? ` ${JSON.stringify(options.body)}` : ''}`
      );
      if (method === 'GET') {
        if (state.view instanceof Error) {
          throw state.view;
        }
        return { data: state.view, response: NO_DATE };
      }
      return { data: {}, response: NO_DATE };
    }
  );
  return { api: { request } as unknown as KodeLabAPI, calls };
}

/** A session notebook: its round sections, dirty flag, saves and reloads. */
function fakeDocument(
  calls: string[],
  roundIds: string[],
  options: { dirty?: boolean; onDisk?: string[] } = {}
) {
  const saved = new Signal<unknown, unknown>({});
  const doc = {
    roundIds: [...roundIds],
    finished: false,
    finishedOnDisk: false,
    dirty: options.dirty ?? false,
    onDisk: options.onDisk ?? [...roundIds],
    saved
  };
  const document: IInterviewDocument = {
    localPath: PATH,
    get dirty() {
      return doc.dirty;
    },
    sections: () => ({ roundIds: [...doc.roundIds], finished: doc.finished }),
    save: async () => {
      calls.push('save');
      doc.dirty = false;
      saved.emit(undefined);
    },
    revert: async () => {
      calls.push('revert');
      doc.roundIds = [...doc.onDisk];
      doc.finished = doc.finishedOnDisk;
      doc.dirty = false;
    },
    saved
  };
  return { doc, document };
}

function tracker(api: KodeLabAPI, document: IInterviewDocument) {
  // A long poll: the tests call refresh() themselves.
  return new InterviewTracker({ api, sessionId: 7, document, pollMs: 60_000 });
}

describe('session notebook helpers', () => {
  it('finds the session id only in an interview notebook', () => {
    expect(interviewSessionOf({ interview_session: 12 })).toBe(12);
    expect(interviewSessionOf({ challenge_id: 'two-sum' })).toBeNull();
    expect(interviewSessionOf({ interview_session: '12' })).toBeNull();
    expect(interviewSessionOf({ interview_session: -1 })).toBeNull();
    expect(interviewSessionOf(null)).toBeNull();
  });

  it('labels the round, the gap before the next one and the end', () => {
    expect(roundLabel(null)).toBe('Loading the interview…');
    expect(roundLabel(CODE_OPEN)).toBe('Round 2 of 2 · Round code');
    expect(
      roundLabel(
        view(1, [
          round(0, 'quiz', 'quiz', 'timed_out'),
          round(1, 'code', 'python', 'pending')
        ])
      )
    ).toBe('Round 2 of 2 opens in a moment');
    expect(roundLabel(FINISHED)).toBe('Interview finished');
  });

  it('says the document is behind when the open round or the end is missing', () => {
    expect(
      documentIsBehind(CODE_OPEN, { roundIds: ['quiz'], finished: false })
    ).toBe(true);
    expect(
      documentIsBehind(CODE_OPEN, {
        roundIds: ['quiz', 'code'],
        finished: false
      })
    ).toBe(false);
    expect(
      documentIsBehind(FINISHED, { roundIds: ['quiz'], finished: false })
    ).toBe(true);
    expect(
      documentIsBehind(FINISHED, { roundIds: ['quiz'], finished: true })
    ).toBe(false);
    expect(documentIsBehind(null, { roundIds: [], finished: false })).toBe(
      false
    );
  });
});

describe('InterviewTracker', () => {
  it('reloads a document without unsaved changes when the server added the round', async () => {
    const { api, calls } = fakeApi({ view: CODE_OPEN });
    const { doc, document } = fakeDocument(calls, ['quiz'], {
      onDisk: ['quiz', 'code']
    });
    const t = tracker(api, document);
    await t.refresh();
    expect(calls).toContain('revert');
    expect(doc.roundIds).toEqual(['quiz', 'code']);
    expect(t.reloadNeeded).toBe(false);
    expect(t.canSubmit).toBe(true);
    t.dispose();
  });

  it('never drops unsaved changes by itself: it offers Reload instead', async () => {
    const { api, calls } = fakeApi({ view: CODE_OPEN });
    const { doc, document } = fakeDocument(calls, ['quiz'], {
      dirty: true,
      onDisk: ['quiz', 'code']
    });
    const t = tracker(api, document);
    await t.refresh();
    expect(calls).not.toContain('revert');
    expect(t.reloadNeeded).toBe(true);
    expect(t.canSubmit).toBe(false);
    await t.reload();
    expect(doc.roundIds).toEqual(['quiz', 'code']);
    expect(t.reloadNeeded).toBe(false);
    t.dispose();
  });

  it('saves, then hands in the saved notebook of an open code round', async () => {
    const { api, calls } = fakeApi({ view: CODE_OPEN });
    const { document } = fakeDocument(calls, ['quiz', 'code']);
    const t = tracker(api, document);
    await t.refresh();
    calls.length = 0;
    await t.submit();
    const submit = `POST interview-sessions/7/rounds/code/submit {"path":"${PATH}"}`;
    expect(calls.indexOf('save')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf(submit)).toBeGreaterThan(calls.indexOf('save'));
    t.dispose();
  });

  it('has no Submit for quiz rounds (their controls submit them)', async () => {
    const { api, calls } = fakeApi({ view: QUIZ_OPEN });
    const { document } = fakeDocument(calls, ['quiz']);
    const t = tracker(api, document);
    await t.refresh();
    expect(t.canSubmit).toBe(false);
    await t.submit();
    expect(calls.some(c => c.includes('/submit'))).toBe(false);
    t.dispose();
  });

  it('records each save of an open code round as its draft', async () => {
    const { api, calls } = fakeApi({ view: CODE_OPEN });
    const { document } = fakeDocument(calls, ['quiz', 'code']);
    const t = tracker(api, document);
    await t.refresh();
    await document.save();
    expect(calls).toContain(
      `PUT interview-sessions/7/rounds/code/draft {"path":"${PATH}"}`
    );
    t.dispose();
  });

  it('ends the interview and shows the API error readably when it fails', async () => {
    const state: { view: IInterviewView | Error } = { view: CODE_OPEN };
    const { api, calls } = fakeApi(state);
    const { document } = fakeDocument(calls, ['quiz', 'code']);
    const t = tracker(api, document);
    await t.refresh();
    state.view = FINISHED;
    await t.end();
    expect(calls).toContain('POST interview-sessions/7/end');
    expect(t.finished).toBe(true);
    expect(t.deadline).toBeNull();
    state.view = new KodeLabApiError('No interview session 7.', 404);
    await t.refresh();
    expect(t.status).toBe('No interview session 7.');
    t.dispose();
  });
});

describe('interview toolbar', () => {
  function shown(items: Array<[string, { isHidden: boolean }]>): string[] {
    return items.filter(([, w]) => !w.isHidden).map(([name]) => name);
  }

  it('shows Submit for code rounds, End while it runs, Scorecard at the end', async () => {
    const state: { view: IInterviewView | Error } = { view: CODE_OPEN };
    const { api, calls } = fakeApi(state);
    const { doc, document } = fakeDocument(calls, ['quiz', 'code']);
    const t = tracker(api, document);
    const opened: number[] = [];
    const items = interviewToolbarItems(t, {
      confirmEnd: async () => true,
      openScorecard: id => opened.push(id)
    });
    await t.refresh();
    expect(shown(items)).toEqual([
      'kodelab-interview-round',
      'kodelab-interview-countdown',
      'kodelab-interview-submit',
      'kodelab-interview-end'
    ]);
    expect(items[0][1].node.textContent).toContain('Round 2 of 2 · Round code');
    expect(items[1][1].node.textContent).toMatch(/left/);
    state.view = FINISHED;
    doc.finishedOnDisk = true; // the server adds the closing cell
    await t.refresh();
    expect(calls).toContain('revert');
    expect(shown(items)).toEqual([
      'kodelab-interview-round',
      'kodelab-interview-scorecard'
    ]);
    (items[5][1].node as HTMLButtonElement).click();
    expect(opened).toEqual([7]);
    for (const [, widget] of items) {
      widget.dispose();
    }
    t.dispose();
  });

  it('asks before ending, and a "no" ends nothing', async () => {
    const { api, calls } = fakeApi({ view: CODE_OPEN });
    const { document } = fakeDocument(calls, ['quiz', 'code']);
    const t = tracker(api, document);
    let answer = false;
    const asked: boolean[] = [];
    const items = interviewToolbarItems(t, {
      confirmEnd: async () => {
        asked.push(answer);
        return answer;
      },
      openScorecard: () => undefined
    });
    await t.refresh();
    const end = items.find(([name]) => name === 'kodelab-interview-end')![1];
    (end.node as HTMLButtonElement).click();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(asked).toEqual([false]);
    expect(calls).not.toContain('POST interview-sessions/7/end');
    answer = true;
    (end.node as HTMLButtonElement).click();
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(calls).toContain('POST interview-sessions/7/end');
    for (const [, widget] of items) {
      widget.dispose();
    }
    t.dispose();
  });
});
