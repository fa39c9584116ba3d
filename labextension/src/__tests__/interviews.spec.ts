import { KodeLabAPI } from '../api';
import {
  ILobby,
  IScorecard,
  InterviewsAPI,
  ScorecardWidget,
  percentText,
  renderLobby,
  renderRadial,
  renderScoreRow,
  shareLink
} from '../interviews';

const LOBBY: ILobby = {
  categories: [
    {
      id: 'coding',
      title: 'Coding',
      levels: [
        {
          id: 'junior',
          title: 'Junior',
          status: 'available',
          scenarios: [
            {
              id: 'junior-coding',
              title: 'Junior coding',
              category: 'coding',
              level: 'junior',
              estimated_minutes: 30,
              round_count: 3,
              best_score: 0.755
            }
          ]
        },
        { id: 'mid', title: 'Mid', status: 'coming_soon', scenarios: [] }
      ]
    },
    { id: 'system_design', title: 'System design', levels: [] }
  ]
};

const CARD: IScorecard = {
  session_id: 7,
  scenario_id: 'junior-coding',
  title: 'Junior coding',
  category: 'coding',
  level: 'junior',
  status: 'finished',
  overall_percent: 66.7,
  rounds: [
    {
      id: 'r1',
      title: 'Warm-up quiz',
      type: 'quiz',
      status: 'submitted',
      score: 1,
      passed: true,
      time_spent_s: 125,
      time_limit_s: 600
    },
    {
      id: 'r2',
      title: 'Code it',
      type: 'code',
      status: 'skipped',
      score: 0,
      passed: false,
      time_spent_s: null,
      time_limit_s: 1200
    }
  ],
  strengths: ['quiz'],
  areas_to_improve: ['code'],
  review: [
    {
      id: 'r1',
      title: 'Warm-up quiz',
      status: 'submitted',
      answer: { q1: 'b' },
      questions: [
        {
          id: 'q1',
          prompt: 'What is O(1)?',
          options: ['a', 'b'],
          correct_answer: 'b',
          explanation: 'Constant time.'
        }
      ]
    }
  ],
  share_token: null
};

describe('the interview lobby', () => {
  it('renders both sections, scenario cards and "Coming soon" levels', () => {
    const started: string[] = [];
    const root = document.createElement('div');
    root.append(...renderLobby(LOBBY, card => started.push(card.id)));
    const sections = root.querySelectorAll('section');
    expect(sections).toHaveLength(2);
    expect(sections[0].querySelector('h3')!.textContent).toBe('Coding');
    expect(sections[1].querySelector('h3')!.textContent).toBe('System design');
    const mid = root.querySelector('[data-level="mid"]')!;
    expect(mid.textContent).toContain('Coming soon');
    expect(mid.querySelector('button')).toBeNull();
    const card = root.querySelector<HTMLButtonElement>(
      '[data-scenario-id="junior-coding"]'
    )!;
    expect(card.textContent).toContain('~30 min · 3 rounds · Your best: 75.5%');
    expect(card.getAttribute('aria-label')).toContain('Start Junior coding');
    card.click();
    expect(started).toEqual(['junior-coding']);
  });
});

describe('the scorecard', () => {
  it('renders the overall percent as a labelled radial', () => {
    const radial = renderRadial(66.7);
    const svg = radial.querySelector('svg')!;
    expect(svg.getAttribute('role')).toBe('img');
    expect(svg.getAttribute('aria-label')).toBe('Overall score 66.7%');
    expect(svg.querySelector('text')!.textContent).toBe('66.7%');
    const value = svg.querySelector('.kodelab-Radial-value')!;
    const [dash, total] = value
      .getAttribute('stroke-dasharray')!
      .split(' ')
      .map(Number);
    expect(dash / total).toBeCloseTo(0.667, 3);
    expect(renderRadial(140).getAttribute('data-percent')).toBe('100');
    // No dot at 0%: a round cap would draw one.
    expect(
      renderRadial(0)
        .querySelector('.kodelab-Radial-value')!
        .getAttribute('stroke-linecap')
    ).toBe('butt');
  });

  it('formats scores as percents', () => {
    expect(percentText(0.755)).toBe('75.5%');
    expect(percentText(1)).toBe('100%');
    expect(percentText(null)).toBe('—');
  });

  it('says pass / fail in words and the time spent against the limit', () => {
    const passed = renderScoreRow(CARD.rounds[0]);
    expect(passed.textContent).toContain('✓ Passed');
    expect(passed.textContent).toContain('Time 2:05 of 10:00');
    expect(
      passed.querySelector('[role="meter"]')!.getAttribute('aria-valuenow')
    ).toBe('100');
    const failed = renderScoreRow(CARD.rounds[1]);
    expect(failed.textContent).toContain('✗ Not passed');
    expect(failed.textContent).toContain('Time — of 20:00');
  });

  it('shows the review to the owner only', () => {
    const api = new InterviewsAPI(new KodeLabAPI());
    const owner = new ScorecardWidget({ api, sessionId: 7, copy: () => 0 });
    owner.render(CARD);
    expect(owner.node.querySelectorAll('.kodelab-ScoreRow')).toHaveLength(2);
    expect(owner.node.textContent).toContain('Review answers');
    expect(owner.node.textContent).toContain('What is O(1)?');
    expect(owner.node.textContent).toContain('Copy share link');
    const shared = new ScorecardWidget({ api, token: 'abc', copy: () => 0 });
    shared.render({ ...CARD, review: undefined });
    expect(shared.node.textContent).not.toContain('Review answers');
    expect(shared.node.textContent).not.toContain('Copy share link');
    expect(shared.node.textContent).toContain('Overall: 66.7%');
    owner.dispose();
    shared.dispose();
  });
});

describe('shareLink', () => {
  it('joins the origin, the base URL and the token', () => {
    expect(shareLink('/', 'tok_1', 'http://localhost:8888')).toBe(
      'http://localhost:8888/kodelab/api/shared/tok_1'
    );
    expect(
      shareLink('http://example.org/user/ann/', 'a-b', 'http://example.org')
    ).toBe('http://example.org/user/ann/kodelab/api/shared/a-b');
    expect(shareLink('/base', 'x y', 'https://h')).toBe(
      'https://h/base/kodelab/api/shared/x%20y'
    );
  });
});
