import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { KodeLabAPI } from '../api';
import { CatalogPanel, progressBadge, renderCatalogItem } from '../catalog';
import { renderHistoryItem } from '../results';
import { ChallengeSession } from '../session';
import {
  ActionButton,
  CountdownWidget,
  challengeToolbarItems
} from '../toolbar';
import { ICatalogEntry, ISubmission } from '../types';

/** The parts of a session the toolbar reads. */
function stubSession(deadline: number | null) {
  const stub: any = {
    deadline,
    skew: 0,
    busy: false,
    info: { time_limit_minutes: 15 },
    timeLimitMinutes: 15
  };
  stub.changed = new Signal<any, void>(stub);
  return stub as ChallengeSession & { busy: boolean };
}

const ENTRY: ICatalogEntry = {
  id: 'two-sum',
  title: 'Two Sum',
  difficulty: 'easy',
  category: 'arrays',
  tags: ['hash-map', 'arrays'],
  language: 'python',
  time_limit_minutes: 15,
  progress: { attempts: 0, best_score: 0, max_score: null, solved: false }
};

describe('CountdownWidget', () => {
  it('turns amber with words in the last minute, and says when time is up', () => {
    const deadline = Date.parse('2030-01-01T00:15:00Z');
    let now = deadline - 2 * 60_000;
    const widget = new CountdownWidget(stubSession(deadline), () => now);
    const text = () => widget.node.querySelector('[role="timer"]')!.textContent;
    expect(text()).toBe('2:00 left');
    expect(widget.hasClass('kodelab-mod-warning')).toBe(false);
    now = deadline - 45_000;
    widget.update();
    expect(text()).toBe('⚠ 0:45 left (under a minute)');
    expect(widget.hasClass('kodelab-mod-warning')).toBe(true);
    expect(widget.node.querySelector('[aria-live]')!.textContent).toBe(
      'Less than a minute left.'
    );
    now = deadline + 1;
    widget.update();
    expect(text()).toBe('Time is up');
    expect(widget.hasClass('kodelab-mod-expired')).toBe(true);
    expect(widget.node.querySelector('[aria-live]')!.textContent).toBe(
      'Time is up.'
    );
    widget.dispose();
  });

  it('shows the time limit before the start answers', () => {
    const widget = new CountdownWidget(stubSession(null));
    expect(widget.node.textContent).toContain('15 min');
    widget.dispose();
  });
});

describe('ActionButton', () => {
  it('is labelled and disabled while the session is busy', () => {
    const session = stubSession(null);
    const clicks: number[] = [];
    const button = new ActionButton({
      session,
      label: 'Submit',
      title: 'Submit: grade on all tests',
      className: 'kodelab-SubmitButton',
      onClick: () => clicks.push(1)
    });
    Widget.attach(button, document.body);
    const node = button.node as HTMLButtonElement;
    expect(node.getAttribute('aria-label')).toBe('Submit: grade on all tests');
    expect(node.textContent).toBe('Submit');
    node.click();
    session.busy = true;
    (session.changed as Signal<any, void>).emit();
    expect(node.disabled).toBe(true);
    node.click();
    expect(clicks).toHaveLength(1);
    button.dispose();
  });

  it('hides itself while it does not apply', () => {
    const session = stubSession(null) as ChallengeSession & {
      busy: boolean;
      canGiveUp: boolean;
    };
    session.canGiveUp = true;
    const button = new ActionButton({
      session,
      label: 'Give up',
      title: 'Give up: unlock every hint',
      className: 'kodelab-GiveUpButton',
      onClick: () => undefined,
      visible: s => s.canGiveUp
    });
    Widget.attach(button, document.body);
    expect(button.isHidden).toBe(false);
    session.canGiveUp = false;
    (session.changed as Signal<any, void>).emit();
    expect(button.isHidden).toBe(true);
    // Lumino hides widgets through its `lm-Widget` class: the button must keep it.
    expect(button.node.classList.contains('lm-Widget')).toBe(true);
    expect(button.hasClass('lm-mod-hidden')).toBe(true);
    session.canGiveUp = true;
    (session.changed as Signal<any, void>).emit();
    expect(button.isHidden).toBe(false);
    button.dispose();
  });
});

describe('challenge toolbar', () => {
  it('has a labelled Give up button between Hints and Results', () => {
    const session = stubSession(null) as any;
    session.canGiveUp = true;
    const items = challengeToolbarItems(session, {
      showResults: () => undefined,
      submitShortcut: ''
    });
    const names = items.map(([name]) => name);
    expect(names.slice(-3)).toEqual([
      'kodelab-hints',
      'kodelab-give-up',
      'kodelab-results'
    ]);
    const giveUp = items.find(([name]) => name === 'kodelab-give-up')![1];
    expect(giveUp.node.textContent).toBe('Give up');
    expect(giveUp.node.getAttribute('aria-label')).toMatch(
      /^Give up: unlock every hint/
    );
    expect(giveUp.node.title).toBe(giveUp.node.getAttribute('aria-label'));
    for (const [, widget] of items) {
      widget.dispose();
    }
  });
});

describe('catalog rendering', () => {
  it('badges solved and attempted challenges in words', () => {
    expect(progressBadge(ENTRY)).toBeNull();
    expect(
      progressBadge({
        ...ENTRY,
        progress: { attempts: 2, best_score: 3, max_score: 5, solved: false }
      })
    ).toEqual({ text: '● Attempted (2, best 3/5)', kind: 'attempted' });
    expect(
      progressBadge({
        ...ENTRY,
        progress: { attempts: 3, best_score: 5, max_score: 5, solved: true }
      })
    ).toEqual({ text: '✓ Solved', kind: 'solved' });
  });

  it('renders an entry as a labelled button', () => {
    const opened: string[] = [];
    const item = renderCatalogItem(
      {
        ...ENTRY,
        progress: { attempts: 1, best_score: 5, max_score: 5, solved: true }
      },
      e => opened.push(e.id)
    );
    const button = item.querySelector('button')!;
    expect(button.getAttribute('aria-label')).toBe(
      'Open Two Sum, easy, arrays, Solved'
    );
    expect(button.textContent).toContain('✓ Solved');
    button.click();
    expect(opened).toEqual(['two-sum']);
  });

  it('asks the server for the filtered list and fills the filter choices', async () => {
    const calls: any[] = [];
    const api = {
      catalog: jest.fn(async (filters: any = {}) => {
        calls.push(filters);
        return [
          ENTRY,
          { ...ENTRY, id: 'b', title: 'B', category: 'graphs', tags: ['bfs'] }
        ];
      })
    } as unknown as KodeLabAPI;
    const panel = new CatalogPanel({
      api,
      open: async () => undefined,
      searchDelay: 0
    });
    await panel.refresh();
    const category = panel.node.querySelector(
      '#kodelab-catalog-category'
    ) as HTMLSelectElement;
    expect([...category.options].map(o => o.value)).toEqual([
      '',
      'arrays',
      'graphs'
    ]);
    const tag = panel.node.querySelector(
      '#kodelab-catalog-tag'
    ) as HTMLSelectElement;
    expect([...tag.options].map(o => o.value)).toEqual([
      '',
      'arrays',
      'bfs',
      'hash-map'
    ]);
    const difficulty = panel.node.querySelector(
      '#kodelab-catalog-difficulty'
    ) as HTMLSelectElement;
    difficulty.value = 'easy';
    category.value = 'graphs';
    await panel.load();
    expect(calls[calls.length - 1]).toEqual({
      difficulty: 'easy',
      category: 'graphs'
    });
    expect(panel.node.querySelectorAll('.kodelab-CatalogItem')).toHaveLength(2);
    expect(panel.node.querySelector('[role="status"]')!.textContent).toBe(
      '2 challenges, 0 solved'
    );
    // Every control has a label.
    for (const control of panel.node.querySelectorAll('input, select')) {
      expect(
        panel.node.querySelector(`label[for="${control.id}"]`)
      ).not.toBeNull();
    }
    panel.dispose();
  });
});

describe('history rendering', () => {
  it('shows attempt, verdict, score and time, with labelled actions', () => {
    const submission: ISubmission = {
      id: 9,
      challenge_id: 'two-sum',
      status: 'done',
      kind: 'submit',
      late: true,
      created_at: '2030-01-01T10:00:00+00:00',
      finished_at: null,
      verdict: {
        verdict: 'wrong_answer',
        score: 3,
        max_score: 5,
        duration_s: 0.2,
        tests: [
          {
            name: 'a',
            visible: true,
            status: 'passed',
            points: 3,
            max_points: 3,
            duration_s: 0
          },
          {
            name: 'b',
            visible: false,
            status: 'failed',
            points: 0,
            max_points: 2,
            duration_s: 0
          }
        ]
      },
      code: 'x = 1'
    };
    const actions: string[] = [];
    const item = renderHistoryItem(submission, 2, {
      view: () => actions.push('view'),
      restore: () => actions.push('restore'),
      disabled: false
    });
    expect(
      item.querySelector('.kodelab-HistoryItem-verdict')!.textContent
    ).toBe('✗ Wrong answer');
    expect(
      item.querySelector('.kodelab-HistoryItem-details')!.textContent
    ).toBe('Score 3 / 5 · 1/2 passed · late');
    expect(item.querySelector('time')!.getAttribute('datetime')).toBe(
      '2030-01-01T10:00:00+00:00'
    );
    const [view, restore] = [...item.querySelectorAll('button')];
    expect(view.getAttribute('aria-label')).toBe(
      'View the code of attempt 2 compared with your current answer'
    );
    view.click();
    restore.click();
    expect(actions).toEqual(['view', 'restore']);
  });
});
