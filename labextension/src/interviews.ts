/**
 * Interviews in the Lab: the lobby (left area: Coding / System design, level cards with
 * scenario cards, past sessions), the scorecard (main area: overall radial, per-round rows,
 * strengths / areas to improve, review, share link, PNG) and the shared scorecard (scores
 * only: the API sends no question and no answer under a share token).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { Widget } from '@lumino/widgets';

import { API_ROOT, KodeLabAPI, messageOf } from './api';
import { h, srOnly } from './dom';
import { interviewIcon } from './icons';

/** A scenario card of the lobby. */
export interface IScenarioCard {
  id: string;
  title: string;
  description?: string;
  category: string;
  level: string;
  estimated_minutes?: number | null;
  round_count: number;
  total_minutes?: number;
  best_score?: number | null;
}

/** A level of a lobby category. */
export interface ILobbyLevel {
  id: string;
  title: string;
  status: 'available' | 'coming_soon' | string;
  scenarios: IScenarioCard[];
}

/** The lobby: categories x levels. */
export interface ILobby {
  categories: { id: string; title: string; levels: ILobbyLevel[] }[];
  scenario_count?: number;
}

/** A past session (summary). */
export interface IInterviewSessionSummary {
  id: number;
  scenario_id: string;
  status: string;
  started_at: string | null;
  finished_at: string | null;
  overall_score: number | null;
}

/** A started session (only what the Lab needs). */
export interface IInterviewSession {
  id: number;
  scenario_id: string;
  title: string;
  status: string;
  path: string | null;
  overall_score: number | null;
}

/** A scorecard row. */
export interface IScoreRow {
  id: string;
  title: string;
  type: string;
  status: string;
  score: number | null;
  passed: boolean | null;
  time_spent_s: number | null;
  time_limit_s: number;
}

/** The review of one round (owner only). */
export interface IReviewItem {
  id: string;
  title: string;
  status: string;
  answer?: unknown;
  description?: string;
  questions?: {
    id: string;
    prompt: string;
    options: string[];
    correct_answer: unknown;
    explanation?: string;
  }[];
  fields?: {
    id: string;
    label: string;
    entity?: string;
    explanation?: string;
  }[];
  required?: string[];
  required_connections?: string[][];
}

/** A scorecard: the shared one has no `review` and no `share_token`. */
export interface IScorecard {
  session_id: number;
  scenario_id: string;
  title: string;
  category: string;
  level: string;
  status: string;
  overall_percent: number;
  rounds: IScoreRow[];
  strengths: string[];
  areas_to_improve: string[];
  started_at?: string | null;
  finished_at?: string | null;
  review?: IReviewItem[];
  share_token?: string | null;
}

/** The interview endpoints, on top of the KodeLab client (base URL, XSRF). */
export class InterviewsAPI {
  constructor(readonly api: KodeLabAPI) {}

  async lobby(): Promise<ILobby> {
    return (await this.api.request<ILobby>('GET', 'interviews')).data;
  }

  async sessions(): Promise<IInterviewSessionSummary[]> {
    return (
      await this.api.request<IInterviewSessionSummary[]>(
        'GET',
        'interview-sessions'
      )
    ).data;
  }

  async session(sessionId: number): Promise<IInterviewSession> {
    return (
      await this.api.request<IInterviewSession>(
        'GET',
        `interview-sessions/${sessionId}`
      )
    ).data;
  }

  async start(scenarioId: string): Promise<IInterviewSession> {
    return (
      await this.api.request<IInterviewSession>(
        'POST',
        `interviews/${encodeURIComponent(scenarioId)}/sessions`
      )
    ).data;
  }

  async scorecard(sessionId: number): Promise<IScorecard> {
    return (
      await this.api.request<IScorecard>(
        'GET',
        `interview-sessions/${sessionId}/scorecard`
      )
    ).data;
  }

  async share(sessionId: number): Promise<string> {
    const { data } = await this.api.request<{ share_token: string }>(
      'POST',
      `interview-sessions/${sessionId}/share`
    );
    return data.share_token;
  }

  async shared(token: string): Promise<IScorecard> {
    return (
      await this.api.request<IScorecard>(
        'GET',
        `shared/${encodeURIComponent(token)}`
      )
    ).data;
  }

  /** The scorecard image of a session. */
  pngUrl(sessionId: number): string {
    return this.api.url(`interview-sessions/${sessionId}/scorecard.png`);
  }
}

/** `<origin><base>kodelab/api/shared/<token>`: the link a scorecard is shared with. */
export function shareLink(
  baseUrl: string,
  token: string,
  origin: string
): string {
  const base = new URL(baseUrl || '/', origin);
  const path = URLExt.join(
    base.pathname,
    API_ROOT,
    'shared',
    encodeURIComponent(token)
  );
  return `${base.origin}${path.startsWith('/') ? path : `/${path}`}`;
}

/** A 0..1 score (or null) as a percent text. */
export function percentText(score: number | null | undefined): string {
  if (score === null || score === undefined || Number.isNaN(score)) {
    return '—';
  }
  return `${Math.round(score * 1000) / 10}%`;
}

/** Seconds as `m:ss`. */
export function clockText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) {
    return '—';
  }
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>): Element {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  return node;
}

/** The overall percent as a radial (SVG), with the number as text and as a label. */
export function renderRadial(percent: number, size = 120): HTMLElement {
  const clamped = Math.max(0, Math.min(100, percent || 0));
  const stroke = 10;
  const r = (size - stroke) / 2;
  const circumference = 2 * Math.PI * r;
  const label = `Overall score ${clamped}%`;
  const root = svg('svg', {
    width: size,
    height: size,
    viewBox: `0 0 ${size} ${size}`,
    role: 'img',
    'aria-label': label,
    class: 'kodelab-Radial-svg'
  });
  root.append(
    svg('circle', {
      cx: size / 2,
      cy: size / 2,
      r,
      fill: 'none',
      'stroke-width': stroke,
      class: 'kodelab-Radial-track'
    }),
    svg('circle', {
      cx: size / 2,
      cy: size / 2,
      r,
      fill: 'none',
      'stroke-width': stroke,
      // A round cap would draw a dot at 0%.
      'stroke-linecap': clamped > 0 ? 'round' : 'butt',
      'stroke-dasharray': `${(circumference * clamped) / 100} ${circumference}`,
      transform: `rotate(-90 ${size / 2} ${size / 2})`,
      class: 'kodelab-Radial-value'
    })
  );
  const text = svg('text', {
    x: '50%',
    y: '50%',
    'text-anchor': 'middle',
    'dominant-baseline': 'central',
    class: 'kodelab-Radial-text',
    'aria-hidden': 'true'
  });
  text.textContent = `${clamped}%`;
  root.append(text);
  return h(
    'div',
    { class: 'kodelab-Radial', 'data-percent': String(clamped) },
    root as unknown as Node
  );
}

/** One level card of the lobby, with its scenario cards or "Coming soon". */
export function renderLevel(
  level: ILobbyLevel,
  onStart: (card: IScenarioCard) => void
): HTMLElement {
  const empty = level.status === 'coming_soon' || !level.scenarios.length;
  return h(
    'li',
    {
      class: `kodelab-InterviewLevel${empty ? ' kodelab-mod-comingSoon' : ''}`,
      'data-level': level.id
    },
    h('h4', { class: 'kodelab-InterviewLevel-title', text: level.title }),
    empty
      ? h('p', { class: 'kodelab-InterviewLevel-soon', text: 'Coming soon' })
      : h(
          'ul',
          { class: 'kodelab-InterviewLevel-scenarios' },
          ...level.scenarios.map(card => {
            const best =
              card.best_score !== null && card.best_score !== undefined
                ? `Your best: ${percentText(card.best_score)}`
                : 'Not taken yet';
            const minutes = card.estimated_minutes ?? card.total_minutes;
            const meta = [
              minutes ? `~${minutes} min` : null,
              `${card.round_count} round${card.round_count === 1 ? '' : 's'}`,
              best
            ].filter(Boolean) as string[];
            const button = h(
              'button',
              {
                type: 'button',
                class: 'kodelab-ScenarioCard',
                'data-scenario-id': card.id,
                'aria-label': `Start ${card.title}, ${level.title}, ${meta.join(', ')}`,
                title: card.description || `Start ${card.title}`
              },
              h('span', {
                class: 'kodelab-ScenarioCard-title',
                text: card.title
              }),
              h('span', {
                class: 'kodelab-ScenarioCard-meta',
                text: meta.join(' · ')
              })
            );
            button.addEventListener('click', () => onStart(card));
            return h('li', {}, button);
          })
        )
  );
}

/** The lobby's sections (one per category). */
export function renderLobby(
  lobby: ILobby,
  onStart: (card: IScenarioCard) => void
): HTMLElement[] {
  return lobby.categories.map(category =>
    h(
      'section',
      {
        class: 'kodelab-InterviewCategory',
        'data-category': category.id,
        'aria-labelledby': `kodelab-interview-cat-${category.id}`
      },
      h('h3', {
        id: `kodelab-interview-cat-${category.id}`,
        text: category.title
      }),
      h(
        'ul',
        { class: 'kodelab-InterviewLevels' },
        ...category.levels.map(level => renderLevel(level, onStart))
      )
    )
  );
}

/** Options of the lobby. */
export interface IInterviewLobbyOptions {
  api: InterviewsAPI;
  /** Ask before starting (resolves true to start). */
  confirm: (card: IScenarioCard) => Promise<boolean>;
  /** Open the session notebook. */
  openPath: (path: string) => Promise<unknown>;
  /** Open a session's scorecard. */
  openScorecard: (sessionId: number) => void;
  /** Called with each session started from the lobby. */
  started?: (session: IInterviewSession) => void;
}

/** The lobby sidebar. */
export class InterviewLobby extends Widget {
  constructor(private readonly _options: IInterviewLobbyOptions) {
    super();
    this.id = 'kodelab-interviews';
    this.addClass('kodelab-Interviews');
    this.title.icon = interviewIcon;
    this.title.caption = 'KodeLab interviews';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'KodeLab interviews');
    const refresh = h('button', {
      type: 'button',
      class: 'jp-Button jp-mod-styled jp-mod-reject kodelab-Interviews-refresh',
      text: 'Refresh'
    });
    refresh.addEventListener('click', () => void this.load());
    this._status = h('div', {
      class: 'kodelab-Interviews-status',
      role: 'status',
      'aria-live': 'polite'
    });
    this._sections = h('div', { class: 'kodelab-Interviews-sections' });
    this._past = h('ol', { class: 'kodelab-Interviews-past' });
    this.node.append(
      h(
        'div',
        { class: 'kodelab-Interviews-head' },
        h('h2', { text: 'Interviews' }),
        refresh
      ),
      this._status,
      this._sections,
      h(
        'section',
        {
          class: 'kodelab-Interviews-pastSection',
          'aria-labelledby': 'kodelab-interviews-past'
        },
        h('h3', { id: 'kodelab-interviews-past', text: 'Past sessions' }),
        this._past
      )
    );
  }

  protected onAfterAttach(): void {
    if (!this._loaded) {
      void this.load();
    }
  }

  /** Fetch the lobby and the past sessions. */
  async load(): Promise<void> {
    this._loaded = true;
    this._status.textContent = 'Loading interviews…';
    try {
      const [lobby, sessions] = await Promise.all([
        this._options.api.lobby(),
        this._options.api.sessions()
      ]);
      this._titles.clear();
      for (const category of lobby.categories) {
        for (const level of category.levels) {
          for (const card of level.scenarios) {
            this._titles.set(card.id, card.title);
          }
        }
      }
      this._sections.replaceChildren(
        ...renderLobby(lobby, card => void this._start(card))
      );
      this._renderPast(sessions);
      this._status.textContent = '';
    } catch (err) {
      this._status.textContent = messageOf(err);
    }
  }

  private _renderPast(sessions: IInterviewSessionSummary[]): void {
    if (!sessions.length) {
      this._past.replaceChildren(
        h('li', { class: 'kodelab-Interviews-none', text: 'No sessions yet.' })
      );
      return;
    }
    this._past.replaceChildren(
      ...sessions.map(s => {
        const title = this._titles.get(s.scenario_id) ?? s.scenario_id;
        const state =
          s.status === 'finished'
            ? `finished, ${percentText(s.overall_score)}`
            : s.status.replace(/_/g, ' ');
        const button = h(
          'button',
          {
            type: 'button',
            class: 'kodelab-PastSession',
            'data-session-id': String(s.id),
            'aria-label': `Scorecard of ${title} (${state})`
          },
          h('span', { class: 'kodelab-PastSession-title', text: title }),
          h('span', { class: 'kodelab-PastSession-meta', text: state })
        );
        button.addEventListener('click', () =>
          this._options.openScorecard(s.id)
        );
        return h('li', {}, button);
      })
    );
  }

  private async _start(card: IScenarioCard): Promise<void> {
    if (this._busy || !(await this._options.confirm(card))) {
      return;
    }
    this._busy = true;
    this._status.textContent = `Starting ${card.title}…`;
    try {
      const session = await this._options.api.start(card.id);
      if (session.path) {
        await this._options.openPath(session.path);
      }
      this._options.started?.(session);
      this._status.textContent = `${card.title} started.`;
      void this.load().then(() => {
        this._status.textContent = `${card.title} started.`;
      });
    } catch (err) {
      this._status.textContent = messageOf(err);
    } finally {
      this._busy = false;
    }
  }

  private _busy = false;
  private _loaded = false;
  private _titles = new Map<string, string>();
  private _status: HTMLElement;
  private _sections: HTMLElement;
  private _past: HTMLElement;
}

function titleCase(text: string): string {
  return text.replace(/[_-]+/g, ' ').replace(/^./, c => c.toUpperCase());
}

/** One per-round row: score bar, pass/fail in words, time spent vs limit. */
export function renderScoreRow(row: IScoreRow): HTMLElement {
  const percent = row.score === null ? 0 : Math.round(row.score * 1000) / 10;
  const verdict =
    row.passed === null
      ? titleCase(row.status)
      : row.passed
        ? '✓ Passed'
        : '✗ Not passed';
  const kind =
    row.passed === null ? 'pending' : row.passed ? 'passed' : 'failed';
  return h(
    'li',
    {
      class: `kodelab-ScoreRow kodelab-mod-${kind}`,
      'data-round-id': row.id
    },
    h(
      'div',
      { class: 'kodelab-ScoreRow-head' },
      h('span', { class: 'kodelab-ScoreRow-title', text: row.title }),
      h('span', { class: 'kodelab-ScoreRow-verdict', text: verdict })
    ),
    h(
      'div',
      {
        class: 'kodelab-ScoreRow-bar',
        role: 'meter',
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-valuenow': percent,
        'aria-label': `${row.title} score`,
        'aria-valuetext': percentText(row.score)
      },
      h('span', {
        class: 'kodelab-ScoreRow-fill',
        style: `width: ${percent}%`
      })
    ),
    h(
      'div',
      { class: 'kodelab-ScoreRow-meta' },
      h('span', {
        class: 'kodelab-ScoreRow-score',
        text: `Score ${percentText(row.score)}`
      }),
      h('span', {
        class: 'kodelab-ScoreRow-time',
        text: `Time ${clockText(row.time_spent_s)} of ${clockText(row.time_limit_s)}`
      })
    )
  );
}

function answerText(value: unknown): string {
  if (value === null || value === undefined) {
    return '(no answer)';
  }
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** The review of the owner's answers with explanations (owner's scorecard only). */
export function renderReview(review: IReviewItem[]): HTMLElement {
  return h(
    'details',
    { class: 'kodelab-Review' },
    h('summary', { text: 'Review answers' }),
    ...review.map(item =>
      h(
        'section',
        { class: 'kodelab-Review-round', 'data-round-id': item.id },
        h('h4', { text: item.title }),
        item.description
          ? h('p', {
              class: 'kodelab-Review-description',
              text: item.description
            })
          : null,
        item.questions
          ? h(
              'ol',
              { class: 'kodelab-Review-questions' },
              ...item.questions.map(q =>
                h(
                  'li',
                  {},
                  h('p', { text: q.prompt }),
                  h('p', {
                    text: `Correct answer: ${answerText(q.correct_answer)}`
                  }),
                  q.explanation ? h('p', { text: q.explanation }) : null
                )
              )
            )
          : null,
        item.fields
          ? h(
              'ul',
              {},
              ...item.fields.map(f =>
                h('li', {
                  text: `${f.label}${f.explanation ? `: ${f.explanation}` : ''}`
                })
              )
            )
          : null,
        item.required?.length
          ? h('p', { text: `Expected components: ${item.required.join(', ')}` })
          : null,
        item.status === 'pending' || item.answer === undefined
          ? h('p', { text: titleCase(item.status) })
          : h(
              'div',
              {},
              h('p', { class: 'kodelab-Review-label', text: 'Your answer' }),
              h('pre', {
                class: 'kodelab-Review-answer',
                text: answerText(item.answer)
              })
            )
      )
    )
  );
}

/** Options of the scorecard widget. */
export interface IScorecardOptions {
  api: InterviewsAPI;
  /** The owner's session, or a share token (scores only). */
  sessionId?: number;
  token?: string;
  /** Copy text to the clipboard. */
  copy: (text: string) => void;
  origin?: string;
}

/** The scorecard (main area). */
export class ScorecardWidget extends Widget {
  constructor(private readonly _options: IScorecardOptions) {
    super();
    const shared = _options.sessionId === undefined;
    this.id = shared
      ? `kodelab-shared-${_options.token}`
      : `kodelab-scorecard-${_options.sessionId}`;
    this.addClass('kodelab-Scorecard');
    if (shared) {
      this.addClass('kodelab-mod-shared');
    }
    this.title.label = shared ? 'Shared scorecard' : 'Scorecard';
    this.title.closable = true;
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this.title.label);
    this.node.tabIndex = -1;
    this._status = h('div', {
      class: 'kodelab-Scorecard-status',
      role: 'status',
      'aria-live': 'polite'
    });
    this._body = h('div', { class: 'kodelab-Scorecard-body' });
    this.node.append(this._status, this._body);
  }

  /** Fetch and render. */
  async load(): Promise<void> {
    this._status.classList.remove('kodelab-srOnly');
    this._status.textContent = 'Loading the scorecard…';
    try {
      const { api, sessionId, token } = this._options;
      const card =
        sessionId !== undefined
          ? await api.scorecard(sessionId)
          : await api.shared(token ?? '');
      this.render(card);
      // Announced; the card shows it already.
      this._status.textContent = `Overall score ${card.overall_percent}%.`;
      this._status.classList.add('kodelab-srOnly');
    } catch (err) {
      this._status.textContent = messageOf(err);
    }
  }

  /** Render a scorecard. */
  render(card: IScorecard): void {
    const owner = this._options.sessionId !== undefined;
    this.title.label = `${owner ? 'Scorecard' : 'Shared scorecard'}: ${card.title}`;
    const list = (title: string, items: string[], cls: string) =>
      h(
        'section',
        { class: `kodelab-Scorecard-${cls}` },
        h('h3', { text: title }),
        items.length
          ? h('ul', {}, ...items.map(t => h('li', { text: titleCase(t) })))
          : h('p', { text: 'None' })
      );
    const actions = h('div', { class: 'kodelab-Scorecard-actions' });
    if (owner) {
      const shareStatus = h('span', {
        class: 'kodelab-Scorecard-shareStatus',
        role: 'status',
        'aria-live': 'polite'
      });
      const copy = h('button', {
        type: 'button',
        class: 'jp-Button jp-mod-styled jp-mod-accept kodelab-Scorecard-share',
        text: 'Copy share link'
      });
      copy.addEventListener('click', async () => {
        try {
          const token = await this._options.api.share(card.session_id);
          const link = shareLink(
            this._options.api.api.serverSettings.baseUrl,
            token,
            this._options.origin ?? window.location.origin
          );
          this._options.copy(link);
          shareStatus.textContent = 'Share link copied: ';
          shareStatus.append(
            h('input', {
              type: 'text',
              readonly: true,
              class: 'jp-mod-styled kodelab-Scorecard-link',
              'aria-label': 'Share link',
              value: link
            })
          );
        } catch (err) {
          shareStatus.textContent = messageOf(err);
        }
      });
      const png = h('a', {
        class: 'jp-Button jp-mod-styled jp-mod-reject kodelab-Scorecard-png',
        href: this._options.api.pngUrl(card.session_id),
        download: `scorecard-${card.session_id}.png`,
        target: '_blank',
        rel: 'noopener',
        text: 'Download PNG'
      });
      actions.append(copy, png, shareStatus);
    }
    this._body.replaceChildren(
      h(
        'header',
        { class: 'kodelab-Scorecard-head' },
        renderRadial(card.overall_percent),
        h(
          'div',
          {},
          h('h2', { class: 'kodelab-Scorecard-title', text: card.title }),
          h('p', {
            class: 'kodelab-Scorecard-meta',
            text: `${titleCase(card.category)} · ${titleCase(card.level)} · ${titleCase(card.status)}`
          }),
          h('p', {
            class: 'kodelab-Scorecard-overall',
            text: `Overall: ${card.overall_percent}%`
          }),
          srOnly(`${card.rounds.length} rounds`)
        )
      ),
      actions,
      h(
        'section',
        { class: 'kodelab-Scorecard-rounds', 'aria-label': 'Rounds' },
        h('h3', { text: 'Rounds' }),
        h('ol', {}, ...card.rounds.map(renderScoreRow))
      ),
      h(
        'div',
        { class: 'kodelab-Scorecard-lists' },
        list('Strengths', card.strengths, 'strengths'),
        list('Areas to improve', card.areas_to_improve, 'areas')
      ),
      ...(owner && card.review ? [renderReview(card.review)] : [])
    );
  }

  private _status: HTMLElement;
  private _body: HTMLElement;
}
