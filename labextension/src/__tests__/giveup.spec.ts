import { confirmGiveUp, giveUpMessage, giveUpTitle } from '../giveup';
import { ChallengeSession } from '../session';

/** The parts of a session Give up reads, and a recording giveUp(). */
function stubSession(options: {
  busy?: boolean;
  canGiveUp?: boolean;
  hintCount?: number;
}) {
  const calls: string[] = [];
  const stub: any = {
    isDisposed: false,
    busy: options.busy ?? false,
    canGiveUp: options.canGiveUp ?? true,
    gaveUp: false,
    title: 'Climbing Stairs',
    info:
      options.hintCount === undefined
        ? null
        : { hint_count: options.hintCount },
    giveUp: async () => {
      calls.push('giveUp');
      stub.gaveUp = true;
      stub.canGiveUp = false;
    }
  };
  return { session: stub as ChallengeSession, calls };
}

describe('confirmGiveUp', () => {
  it('gives up only after the user confirms', async () => {
    const { session, calls } = stubSession({ hintCount: 2 });
    const asked: string[] = [];
    const done = await confirmGiveUp(session, async (title, body) => {
      asked.push(title, body);
      return true;
    });
    expect(done).toBe(true);
    expect(calls).toEqual(['giveUp']);
    expect(asked[0]).toBe('Give up on Climbing Stairs?');
  });

  it('does nothing when the user cancels', async () => {
    const { session, calls } = stubSession({});
    const done = await confirmGiveUp(session, async () => false);
    expect(done).toBe(false);
    expect(calls).toEqual([]);
  });

  it('does not even ask while a grading run is in flight or when it does not apply', async () => {
    for (const options of [{ busy: true }, { canGiveUp: false }]) {
      const { session, calls } = stubSession(options);
      const confirm = jest.fn(async () => true);
      expect(await confirmGiveUp(session, confirm)).toBe(false);
      expect(confirm).not.toHaveBeenCalled();
      expect(calls).toEqual([]);
    }
  });
});

describe('the give-up confirmation', () => {
  it('says what giving up does: hints, solution when allowed, recorded, submissions still count', () => {
    const { session } = stubSession({ hintCount: 3 });
    const text = giveUpMessage(session);
    expect(text).toContain('unlocks all 3 hints');
    expect(text).toContain('when the challenge allows it');
    expect(text).toContain('reference solution in the results panel');
    expect(text).toContain('never in your notebook');
    expect(text).toContain('KodeLab records that you gave up');
    expect(text).toContain('cannot be undone');
    expect(text).toContain(
      'You can still submit afterwards: submissions are graded and count as usual.'
    );
  });

  it('counts the hints it unlocks when it knows them', () => {
    expect(giveUpMessage(stubSession({ hintCount: 1 }).session)).toContain(
      'unlocks its one hint'
    );
    expect(giveUpMessage(stubSession({}).session)).toContain(
      'unlocks every hint'
    );
    expect(giveUpMessage(stubSession({ hintCount: 0 }).session)).toMatch(
      /^This challenge has no hints\. Giving up shows its reference solution/
    );
  });

  it('names the challenge in the title', () => {
    expect(giveUpTitle(stubSession({}).session)).toBe(
      'Give up on Climbing Stairs?'
    );
  });
});
