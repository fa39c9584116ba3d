/**
 * The KodeLab sidebar: the challenge catalog with search, filters (difficulty, category,
 * tag), solved / attempted badges and a Random challenge button. Filtering happens on the
 * server (the one source of truth); opening a challenge POSTs start and opens the notebook
 * the server names.
 */
import { Widget } from '@lumino/widgets';

import { KodeLabAPI, messageOf } from './api';
import { h } from './dom';
import { formatNumber } from './format';
import { diceIcon, kodelabIcon } from './icons';
import { ICatalogEntry, ICatalogFilters } from './types';

/** The difficulties, in order. */
export const DIFFICULTIES = ['easy', 'medium', 'hard'];

function capitalize(text: string): string {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** The progress badge of an entry: words and a symbol, never colour alone. */
export function progressBadge(
  entry: ICatalogEntry
): { text: string; kind: 'solved' | 'attempted' } | null {
  const progress = entry.progress;
  if (progress?.solved) {
    return { text: '✓ Solved', kind: 'solved' };
  }
  if (progress && progress.attempts > 0) {
    const best =
      progress.max_score !== null && progress.max_score !== undefined
        ? `, best ${formatNumber(progress.best_score)}/${formatNumber(progress.max_score)}`
        : '';
    return {
      text: `● Attempted (${progress.attempts}${best})`,
      kind: 'attempted'
    };
  }
  return null;
}

/** One catalog entry as a button. */
export function renderCatalogItem(
  entry: ICatalogEntry,
  onOpen: (entry: ICatalogEntry) => void
): HTMLElement {
  const badge = progressBadge(entry);
  const meta = [
    entry.category,
    entry.language !== 'python' ? entry.language.toUpperCase() : null,
    entry.tags.length ? entry.tags.join(', ') : null,
    entry.time_limit_minutes ? `${entry.time_limit_minutes} min limit` : null
  ].filter(Boolean);
  const label = [
    entry.title,
    entry.difficulty,
    entry.category,
    badge ? badge.text.replace(/^[^A-Za-z]+/, '') : 'not attempted'
  ].join(', ');
  const button = h(
    'button',
    {
      type: 'button',
      class: 'kodelab-CatalogItem',
      'data-challenge-id': entry.id,
      'aria-label': `Open ${label}`,
      title: `Open ${entry.title}`
    },
    h(
      'span',
      { class: 'kodelab-CatalogItem-head' },
      h('span', { class: 'kodelab-CatalogItem-title', text: entry.title }),
      h('span', {
        class: `kodelab-Badge kodelab-mod-${entry.difficulty}`,
        text: capitalize(entry.difficulty)
      }),
      badge
        ? h('span', {
            class: `kodelab-Badge kodelab-mod-${badge.kind}`,
            text: badge.text
          })
        : null
    ),
    h('span', { class: 'kodelab-CatalogItem-meta', text: meta.join(' · ') })
  );
  button.addEventListener('click', () => onOpen(entry));
  return h('li', { class: 'kodelab-Catalog-entry' }, button);
}

/** Options of the catalog panel. */
export interface ICatalogPanelOptions {
  api: KodeLabAPI;
  /** Start the challenge and open its notebook. */
  open: (challenge: { id: string; title: string }) => Promise<void>;
  /** Debounce of the search box (ms). */
  searchDelay?: number;
}

/** The sidebar widget. */
export class CatalogPanel extends Widget {
  constructor(options: ICatalogPanelOptions) {
    super();
    this._api = options.api;
    this._open = options.open;
    this._searchDelay = options.searchDelay ?? 250;
    this.id = 'kodelab-catalog';
    this.addClass('kodelab-Catalog');
    this.title.icon = kodelabIcon;
    this.title.caption = 'KodeLab challenges';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'KodeLab challenges');

    this._search = h('input', {
      type: 'search',
      id: 'kodelab-catalog-search',
      class: 'jp-mod-styled kodelab-Catalog-search',
      placeholder: 'Search challenges',
      autocomplete: 'off'
    });
    this._difficulty = this._select('kodelab-catalog-difficulty', 'Any');
    for (const level of DIFFICULTIES) {
      this._difficulty.append(
        h('option', { value: level, text: capitalize(level) })
      );
    }
    this._category = this._select('kodelab-catalog-category', 'Any');
    this._tag = this._select('kodelab-catalog-tag', 'Any');
    const field = (id: string, text: string, control: HTMLElement) =>
      h(
        'div',
        { class: 'kodelab-Catalog-field' },
        h('label', { for: id, text }),
        control
      );
    const random = h(
      'button',
      {
        type: 'button',
        class: 'jp-Button jp-mod-styled jp-mod-accept kodelab-Catalog-random',
        'aria-label':
          'Random challenge: open a challenge matching the filters, preferring unsolved ones'
      },
      diceIcon.element({
        tag: 'span',
        className: 'kodelab-Catalog-randomIcon'
      }),
      'Random challenge'
    );
    random.firstElementChild?.setAttribute('aria-hidden', 'true');
    const refresh = h('button', {
      type: 'button',
      class: 'jp-Button jp-mod-minimal kodelab-Catalog-refresh',
      'aria-label': 'Refresh the catalog',
      title: 'Refresh the catalog',
      text: '↻'
    });
    this._status = h('div', {
      class: 'kodelab-Catalog-status',
      role: 'status',
      'aria-live': 'polite'
    });
    this._error = h('div', { class: 'kodelab-Catalog-error', role: 'alert' });
    this._list = h('ul', {
      class: 'kodelab-Catalog-list',
      'aria-label': 'Challenges'
    });
    this.node.append(
      h(
        'div',
        { class: 'kodelab-Catalog-header' },
        h('h2', { text: 'KodeLab challenges' }),
        refresh
      ),
      h(
        'div',
        { class: 'kodelab-Catalog-filters' },
        field('kodelab-catalog-search', 'Search', this._search),
        field('kodelab-catalog-difficulty', 'Difficulty', this._difficulty),
        field('kodelab-catalog-category', 'Category', this._category),
        field('kodelab-catalog-tag', 'Tag', this._tag)
      ),
      random,
      this._status,
      this._error,
      this._list
    );

    this._search.addEventListener('input', () => {
      if (this._searchTimer !== null) {
        clearTimeout(this._searchTimer);
      }
      this._searchTimer = setTimeout(() => {
        this._searchTimer = null;
        void this.load();
      }, this._searchDelay);
    });
    for (const select of [this._difficulty, this._category, this._tag]) {
      select.addEventListener('change', () => void this.load());
    }
    refresh.addEventListener('click', () => void this.refresh());
    random.addEventListener('click', () => void this._random());
  }

  /** The filters as set in the panel (empty ones left out). */
  get filters(): ICatalogFilters {
    const filters: ICatalogFilters = {};
    const q = this._search.value.trim();
    if (q) {
      filters.q = q;
    }
    if (this._difficulty.value) {
      filters.difficulty = this._difficulty.value;
    }
    if (this._category.value) {
      filters.category = this._category.value;
    }
    if (this._tag.value) {
      filters.tag = this._tag.value;
    }
    return filters;
  }

  /** The entries shown. */
  get entries(): ICatalogEntry[] {
    return this._entries;
  }

  /** Reload the filter choices (whole catalog) and the filtered list. */
  async refresh(): Promise<void> {
    try {
      const all = await this._api.catalog();
      this._fillOptions(all);
    } catch (err) {
      this._showError(err);
      return;
    }
    await this.load();
  }

  /** Reload the list for the current filters (the server filters). */
  async load(): Promise<void> {
    const ticket = ++this._ticket;
    this._status.textContent = 'Loading challenges…';
    try {
      const entries = await this._api.catalog(this.filters);
      if (ticket !== this._ticket || this.isDisposed) {
        return; // A newer request answers.
      }
      this._entries = entries;
      this._error.textContent = '';
      this._renderList();
    } catch (err) {
      if (ticket === this._ticket) {
        this._showError(err);
      }
    }
  }

  protected onAfterAttach(): void {
    if (!this._loaded) {
      this._loaded = true;
      void this.refresh();
    }
  }

  private _select(id: string, anyLabel: string): HTMLSelectElement {
    return h(
      'select',
      { id, class: 'jp-mod-styled kodelab-Catalog-select' },
      h('option', { value: '', text: anyLabel })
    );
  }

  private _fillOptions(all: ICatalogEntry[]): void {
    const fill = (select: HTMLSelectElement, values: string[]) => {
      const current = select.value;
      const sorted = [...new Set(values)].sort((a, b) => a.localeCompare(b));
      select.replaceChildren(
        h('option', { value: '', text: 'Any' }),
        ...sorted.map(value => h('option', { value, text: value }))
      );
      select.value = sorted.includes(current) ? current : '';
    };
    fill(
      this._category,
      all.map(e => e.category)
    );
    fill(
      this._tag,
      all.flatMap(e => e.tags)
    );
  }

  private _renderList(): void {
    const entries = this._entries;
    this._list.replaceChildren(
      ...entries.map(entry =>
        renderCatalogItem(entry, picked => void this._openEntry(picked))
      )
    );
    const solved = entries.filter(e => e.progress?.solved).length;
    this._status.textContent = entries.length
      ? `${entries.length} challenge${entries.length === 1 ? '' : 's'}, ${solved} solved`
      : 'No challenge matches these filters.';
  }

  private async _openEntry(entry: {
    id: string;
    title: string;
  }): Promise<void> {
    if (this._opening) {
      return;
    }
    this._opening = true;
    this.node.classList.add('kodelab-mod-opening');
    this._status.textContent = `Opening ${entry.title}…`;
    this._error.textContent = '';
    try {
      await this._open(entry);
      this._status.textContent = `Opened ${entry.title}.`;
    } catch (err) {
      this._showError(err);
    } finally {
      this._opening = false;
      this.node.classList.remove('kodelab-mod-opening');
    }
  }

  private async _random(): Promise<void> {
    this._error.textContent = '';
    try {
      const { difficulty, category, tag } = this.filters;
      const pick = await this._api.random({ difficulty, category, tag });
      await this._openEntry(pick);
    } catch (err) {
      this._showError(err);
    }
  }

  private _showError(err: unknown): void {
    const message = messageOf(err);
    this._status.textContent = '';
    this._error.textContent = `⚠ ${message}`;
  }

  private _api: KodeLabAPI;
  private _open: (challenge: { id: string; title: string }) => Promise<void>;
  private _searchDelay: number;
  private _search: HTMLInputElement;
  private _difficulty: HTMLSelectElement;
  private _category: HTMLSelectElement;
  private _tag: HTMLSelectElement;
  private _status: HTMLElement;
  private _error: HTMLElement;
  private _list: HTMLElement;
  private _entries: ICatalogEntry[] = [];
  private _ticket = 0;
  private _loaded = false;
  private _opening = false;
  private _searchTimer: ReturnType<typeof setTimeout> | null = null;
}
