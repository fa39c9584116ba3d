// KodeLab interview round bar: the browser half of kodelab_jupyter.interview_widgets.RoundBar.
//
// The kernel only syncs the ids (session_id, round_id) and an error. Every API call happens
// here, in the browser, with the page's own credentials (see bar_common.js). This file is the
// round bar's own part of the widget's module: kodelab_jupyter/static_assets.py puts
// bar_common.js in front of it (baseUrl, the XSRF cookie, request(), sleep, saveNotebook,
// the reload-surviving flags, h(), formatLeft and TICK_MS, WARN_MS, POLL_MS,
// AUTO_SUBMIT_WINDOW_MS come from there).
//
// Two kinds of views share one model of the session per page (a Session object kept on
// `window`, so the bar and a round's section never disagree or overwrite each other's
// drafts):
//   - round_id === '': the round bar: scenario, "Round N of M", the round's title, the
//     countdown to the server's deadline, Submit, End interview (with a confirmation), the
//     controls of quiz / architecture / modeling rounds, and the scorecard at the end;
//   - round_id set: one round's controls and its own Submit (the round's section).
// The server is the clock and appends each round's section to the notebook file when the
// round opens; this code never inserts cells.

const AUTOSAVE_MS = 15 * 1000; // drafts are saved this often (and shortly after a change)
const CHANGE_SAVE_MS = 1000; // debounce of the save after a change of a control
const NEXT_ROUND_MS = 2000; // "Time's up" stays this long before the next round shows
const CODE_TYPES = new Set(['sql', 'python', 'debug']);
const REGISTRY_KEY = '__kodelabInterviewSessions_v1';

const TYPE_LABELS = {
  sql: 'SQL',
  python: 'Python',
  debug: 'Debugging',
  quiz: 'Quiz',
  architecture: 'Architecture',
  modeling: 'Data modeling',
};

const STATUS_LABELS = {
  pending: 'Not open yet',
  open: 'Open',
  submitted: 'Submitted',
  timed_out: 'Time ran out',
  skipped: 'Skipped',
};

// The round bar's API calls: the response's JSON (errors without a "try again in" hint).
async function api(method, path, body) {
  const { data } = await request(method, path, body, { retryAfter: false });
  return data;
}

// Saving is automatic (every few seconds, and when time runs out) only while the focus is in
// this widget's notebook: Lab's save shortcut saves the *current* document, which must be
// this one. A click on Submit puts the focus here, so a manual submit always saves.
function focusedHere(element) {
  const panel = element.closest('.jp-NotebookPanel, .jp-Notebook');
  const active = document.activeElement;
  return Boolean(panel && active && active !== document.body && panel.contains(active));
}

// -- DOM helpers ----------------------------------------------------------------------------

function percent(score) {
  return typeof score === 'number' ? `${Math.round(score * 1000) / 10}%` : '–';
}

function button(text, label, extra) {
  return h('button', {
    type: 'button',
    class: `kodelab-rb__button${extra ? ` ${extra}` : ''}`,
    'aria-label': label,
    text,
  });
}

let uidCounter = 0;

// -- the session, shared by every view of it in this page ------------------------------------

class Session {
  constructor(id) {
    this.id = id;
    this.view = null; // the last session view from the server
    this.skew = 0; // server clock minus browser clock (ms)
    this.answers = new Map(); // round id -> structured answer (this page's copy)
    this.versions = new Map(); // round id -> change counter (what a draft save covered)
    this.saved = new Map(); // round id -> change counter last saved
    this.listeners = new Set();
    this.hosts = new Map(); // element -> { round: index current when the view rendered }
    this.loading = null;
    this.busy = null; // 'submit' | 'end' | null
    this.timers = [];
    this.changeTimer = null;
    this.pendingRound = null;
    this.card = null; // the scorecard, once finished
    this.cardLoading = null;
    this.seenRunning = new Set(); // deadline keys seen with time left
    this.expired = new Set(); // deadline keys whose time-up was handled
    this.error = null;
    this.lastFetch = 0;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    if (this.listeners.size === 1) {
      this.timers = [
        setInterval(() => this.tick(), TICK_MS),
        setInterval(() => this.autosave(), AUTOSAVE_MS),
      ];
    }
    return () => {
      this.listeners.delete(listener);
      if (!this.listeners.size) {
        this.timers.forEach(clearInterval);
        this.timers = [];
        if (this.changeTimer !== null) {
          // The last view is going (notebook closed): save the pending change now.
          clearTimeout(this.changeTimer);
          this.changeTimer = null;
          this.saveDraft(this.pendingRound).catch(() => {});
        }
      }
    };
  }

  emit(event) {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        console.error('KodeLab round bar:', err);
      }
    }
  }

  now() {
    return Date.now() + this.skew;
  }

  get currentIndex() {
    const index = this.view ? this.view.current_round : null;
    return typeof index === 'number' ? index : null;
  }

  current() {
    const index = this.currentIndex;
    return index === null ? null : this.view.rounds[index];
  }

  round(id) {
    return (this.view && this.view.rounds.find((r) => r.id === id)) || null;
  }

  get finished() {
    return Boolean(this.view && this.view.status === 'finished');
  }

  // -- talking to the server -----------------------------------------------------------

  refresh() {
    if (!this.loading) {
      const sent = Date.now();
      this.loading = api('GET', `kodelab/api/interview-sessions/${this.id}`)
        .then((view) => this.accept(view, sent, Date.now()))
        .catch((err) => {
          this.error = err;
          this.emit({ type: 'error', error: err });
          throw err;
        })
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }

  accept(view, sent, received) {
    const serverNow = Date.parse((view && view.server_time) || '');
    if (!Number.isNaN(serverNow) && sent !== undefined) {
      const skew = serverNow - (sent + received) / 2;
      this.skew = Math.abs(skew) > 1000 ? skew : 0;
    }
    const before = this.currentIndex;
    this.view = view;
    this.error = null;
    this.lastFetch = Date.now();
    for (const round of view.rounds || []) {
      if (round.status === 'open' && round.draft && !this.answers.has(round.id)) {
        if (!CODE_TYPES.has(round.type) && typeof round.draft === 'object') {
          this.answers.set(round.id, round.draft);
        }
      }
    }
    this.emit({ type: 'view', before });
    if (this.finished) {
      this.loadCard();
    }
    return view;
  }

  loadCard() {
    if (!this.card && !this.cardLoading) {
      this.cardLoading = api('GET', `kodelab/api/interview-sessions/${this.id}/scorecard`)
        .then((card) => {
          this.card = card;
          this.emit({ type: 'card' });
        })
        .catch((err) => this.emit({ type: 'error', error: err }))
        .finally(() => {
          this.cardLoading = null;
        });
    }
    return this.cardLoading;
  }

  // An element to dispatch the save shortcut from: a view rendered while the current round
  // was already open, so its document has that round's cells (a view rendered before the
  // server appended them would make Lab ask whether to overwrite the newer file).
  saveHost({ automatic }) {
    const index = this.currentIndex;
    for (const [element, info] of this.hosts) {
      if (!element.isConnected || index === null || info.round < index) {
        continue;
      }
      if (!automatic || focusedHere(element)) {
        return element;
      }
    }
    return null;
  }

  stale(element) {
    const info = this.hosts.get(element);
    const index = this.currentIndex;
    return Boolean(info && index !== null && info.round < index);
  }

  // -- answers ---------------------------------------------------------------------------

  setAnswer(roundId, answer, source) {
    this.answers.set(roundId, answer);
    this.versions.set(roundId, (this.versions.get(roundId) || 0) + 1);
    this.emit({ type: 'answer', round: roundId, source });
    clearTimeout(this.changeTimer);
    this.pendingRound = roundId;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null;
      this.saveDraft(roundId).catch((err) => this.emit({ type: 'draft-error', error: err }));
    }, CHANGE_SAVE_MS);
  }

  dirty(roundId) {
    return (this.versions.get(roundId) || 0) !== (this.saved.get(roundId) || 0);
  }

  async body(round, { save, automatic = false }) {
    if (CODE_TYPES.has(round.type)) {
      const path = this.view && this.view.path;
      if (!path) {
        throw new Error(
          `No session notebook is recorded for this interview${
            this.view && this.view.notebook_error ? ` (${this.view.notebook_error})` : ''
          }.`,
        );
      }
      const host = save ? this.saveHost({ automatic }) : null;
      if (host) {
        await saveNotebook(host, path);
      }
      return { path };
    }
    return { answer: this.answers.has(round.id) ? this.answers.get(round.id) : {} };
  }

  async saveDraft(roundId, { force = false } = {}) {
    const round = this.round(roundId);
    if (!round || round.status !== 'open' || this.busy || this.finished) {
      return;
    }
    if (this.now() >= Date.parse(round.deadline || '') && round.deadline) {
      return; // the server refuses drafts after the deadline: the last one counts
    }
    const code = CODE_TYPES.has(round.type);
    if (!code && !force && !this.dirty(roundId)) {
      return;
    }
    if (code && !this.saveHost({ automatic: true })) {
      return; // nothing on screen to save (see saveHost and focusedHere)
    }
    const version = this.versions.get(roundId) || 0;
    const body = await this.body(round, { save: true, automatic: true });
    if (this.busy) {
      return;
    }
    await api('PUT', `kodelab/api/interview-sessions/${this.id}/rounds/${round.id}/draft`, body);
    this.saved.set(roundId, version);
    this.emit({ type: 'saved', round: roundId, at: new Date() });
  }

  autosave() {
    if (!this.view) {
      if (!this.loading && !(this.error && this.error.status === 404)) {
        this.refresh().catch(() => {});
      }
      return;
    }
    const round = this.current();
    if (!round || round.status !== 'open' || this.busy) {
      if (!this.finished && !this.busy && this.view) {
        this.refresh().catch(() => {});
      }
      return;
    }
    this.saveDraft(round.id)
      .catch((err) => this.emit({ type: 'draft-error', error: err }))
      .finally(() => {
        if (!this.busy) {
          this.refresh().catch(() => {});
        }
      });
  }

  async submit(roundId, { auto = false } = {}) {
    if (this.busy) {
      return null;
    }
    const round = this.round(roundId);
    if (!round || round.status !== 'open') {
      return null;
    }
    this.busy = 'submit';
    this.emit({ type: 'busy', what: 'submit', round: roundId, auto });
    try {
      const body = await this.body(round, { save: true, automatic: auto });
      const sent = Date.now();
      const view = await api(
        'POST',
        `kodelab/api/interview-sessions/${this.id}/rounds/${round.id}/submit`,
        body,
      );
      const received = Date.now();
      this.saved.set(roundId, this.versions.get(roundId) || 0);
      this.emit({ type: 'submitted', round: roundId, auto });
      if (auto) {
        await sleep(NEXT_ROUND_MS); // "Time's up" stays a moment before the next round
      }
      this.busy = null;
      this.accept(view, sent, received);
      return view;
    } catch (err) {
      this.busy = null;
      this.emit({ type: 'error', error: err });
      if (err && err.status === 409) {
        this.refresh().catch(() => {}); // the round was already over: show where we are
      }
      return null;
    } finally {
      this.busy = null;
      this.emit({ type: 'busy', what: null });
    }
  }

  async end() {
    if (this.busy) {
      return;
    }
    this.busy = 'end';
    this.emit({ type: 'busy', what: 'end' });
    try {
      const round = this.current();
      if (round && round.status === 'open' && !CODE_TYPES.has(round.type)) {
        await this.saveDraft(round.id).catch(() => {});
      }
      const sent = Date.now();
      const view = await api('POST', `kodelab/api/interview-sessions/${this.id}/end`);
      this.busy = null;
      this.accept(view, sent, Date.now());
    } catch (err) {
      this.emit({ type: 'error', error: err });
    } finally {
      this.busy = null;
      this.emit({ type: 'busy', what: null });
    }
  }

  // -- the clock -------------------------------------------------------------------------

  deadlineKey(round) {
    return `kodelab:interview:${this.id}:${round.id}:${round.deadline}:auto-submitted`;
  }

  tick() {
    const round = this.current();
    if (!round || round.status !== 'open' || !round.deadline) {
      return;
    }
    const key = this.deadlineKey(round);
    const left = Date.parse(round.deadline) - this.now();
    if (left > 0) {
      this.seenRunning.add(key);
      return;
    }
    if (this.expired.has(key)) {
      return;
    }
    this.expired.add(key);
    this.emit({ type: 'timeup', round: round.id });
    // Auto-submit once: when this page saw the clock run out, or was (re)loaded just after.
    const mayAutoSubmit =
      (this.seenRunning.has(key) || -left <= AUTO_SUBMIT_WINDOW_MS) && !flagged(key);
    if (mayAutoSubmit) {
      setFlag(key); // before submitting: a reload or a second tab must not submit again
      this.whenIdle().then(() => this.submit(round.id, { auto: true }));
    } else {
      // The server times the round out itself (after its grace): show the next round after
      // the pause, and look again once the grace is over.
      sleep(NEXT_ROUND_MS)
        .then(() => this.refresh())
        .then(() => sleep(AUTO_SUBMIT_WINDOW_MS))
        .then(() => this.refresh())
        .catch(() => {});
    }
  }

  async whenIdle() {
    while (this.busy) {
      await sleep(POLL_MS);
    }
  }
}

function sessionFor(id) {
  if (!window[REGISTRY_KEY]) {
    window[REGISTRY_KEY] = new Map();
  }
  const registry = window[REGISTRY_KEY];
  let session = registry.get(id);
  if (!session) {
    session = new Session(id);
    registry.set(id, session);
  }
  return session;
}

// -- answer controls (rendered from a round's public content) --------------------------------

function quizControls(round, answer, onChange, uid) {
  const content = round.content || {};
  const chosen =
    answer && typeof answer === 'object' && !Array.isArray(answer) ? { ...answer } : {};
  const questions = content.questions || [];
  return questions.map((question, qIndex) => {
    const multi = Boolean(question.multi_select);
    const name = `kodelab-rb-${uid}-${question.id}`;
    const current = chosen[question.id];
    const picked = new Set(
      Array.isArray(current) ? current : typeof current === 'number' ? [current] : [],
    );
    const options = (question.options || []).map((option, index) => {
      const input = h('input', {
        type: multi ? 'checkbox' : 'radio',
        name,
        value: String(index),
        checked: picked.has(index),
      });
      input.addEventListener('change', () => {
        if (multi) {
          const boxes = [...fieldset.querySelectorAll('input')];
          chosen[question.id] = boxes
            .map((box, i) => (box.checked ? i : null))
            .filter((i) => i !== null);
        } else {
          chosen[question.id] = index;
        }
        onChange({ ...chosen });
      });
      return h('label', { class: 'kodelab-rb__option' }, input, h('span', { text: option }));
    });
    const legend = h(
      'legend',
      { class: 'kodelab-rb__legend' },
      h('span', { text: `${qIndex + 1}. ${question.prompt}` }),
      multi ? h('span', { class: 'kodelab-rb__hint', text: ' (select all that apply)' }) : null,
    );
    const fieldset = h(
      'fieldset',
      { class: 'kodelab-rb__question', role: multi ? 'group' : 'radiogroup' },
      legend,
      ...options,
    );
    return fieldset;
  });
}

function architectureControls(round, answer, onChange) {
  const content = round.content || {};
  const palette = content.palette || [];
  const labelOf = new Map(palette.map((c) => [c.id, c.label]));
  const state = {
    components: new Set(
      answer && Array.isArray(answer.components) ? answer.components.filter(String) : [],
    ),
    connections:
      answer && Array.isArray(answer.connections)
        ? answer.connections.filter((c) => Array.isArray(c) && c.length === 2).map((c) => [...c])
        : [],
  };
  const emit = () =>
    onChange({
      components: palette.map((c) => c.id).filter((id) => state.components.has(id)),
      connections: state.connections.map((c) => [...c]),
    });

  const boxes = palette.map((component) => {
    const input = h('input', {
      type: 'checkbox',
      value: component.id,
      checked: state.components.has(component.id),
    });
    input.addEventListener('change', () => {
      if (input.checked) {
        state.components.add(component.id);
      } else {
        state.components.delete(component.id);
      }
      emit();
    });
    return h(
      'label',
      { class: 'kodelab-rb__option' },
      input,
      h('span', { class: 'kodelab-rb__option-label', text: component.label }),
      component.description
        ? h('span', { class: 'kodelab-rb__hint', text: ` — ${component.description}` })
        : null,
    );
  });
  const components = h(
    'fieldset',
    { class: 'kodelab-rb__question' },
    h('legend', {
      class: 'kodelab-rb__legend',
      text: 'Components: pick the ones your design needs',
    }),
    ...boxes,
  );

  const select = (label) =>
    h(
      'select',
      { class: 'kodelab-rb__select', 'aria-label': label },
      h('option', { value: '', text: `${label}…` }),
      ...palette.map((c) => h('option', { value: c.id, text: c.label })),
    );
  const from = select('From');
  const to = select('To');
  const add = button('Add', 'Add a connection from the first to the second component');
  const message = h('span', { class: 'kodelab-rb__hint', role: 'status' });
  const list = h('ul', { class: 'kodelab-rb__connections', 'aria-label': 'Connections' });

  function renderList() {
    list.replaceChildren(
      ...state.connections.map(([a, b], index) => {
        const text = `${labelOf.get(a) || a} → ${labelOf.get(b) || b}`;
        const remove = button('✕', `Remove the connection ${text}`, 'kodelab-rb__button--small');
        remove.addEventListener('click', () => {
          state.connections.splice(index, 1);
          renderList();
          emit();
        });
        return h('li', {}, h('span', { text }), ' ', remove);
      }),
    );
    if (!state.connections.length) {
      list.append(h('li', { class: 'kodelab-rb__hint', text: 'No connections yet.' }));
    }
  }

  add.addEventListener('click', () => {
    const a = from.value;
    const b = to.value;
    if (!a || !b) {
      message.textContent = 'Pick both ends of the connection.';
      return;
    }
    if (a === b) {
      message.textContent = 'A component cannot connect to itself.';
      return;
    }
    if (state.connections.some(([x, y]) => x === a && y === b)) {
      message.textContent = 'That connection is already there.';
      return;
    }
    state.connections.push([a, b]);
    message.textContent = `Added ${labelOf.get(a)} → ${labelOf.get(b)}.`;
    renderList();
    emit();
  });
  renderList();
  const connections = h(
    'fieldset',
    { class: 'kodelab-rb__question' },
    h('legend', {
      class: 'kodelab-rb__legend',
      text: 'Connections: how data flows between components (from → to)',
    }),
    h('div', { class: 'kodelab-rb__row' }, from, h('span', { text: '→' }), to, add, message),
    list,
  );
  return [components, connections];
}

function modelingControls(round, answer, onChange) {
  const content = round.content || {};
  const entities = content.entities || [];
  const assignment = answer && typeof answer === 'object' ? { ...answer } : {};
  const rows = (content.fields || []).map((field) => {
    const select = h(
      'select',
      { class: 'kodelab-rb__select', 'aria-label': `Where does “${field.label}” belong?` },
      h('option', { value: '', text: '— choose —' }),
      ...entities.map((e) =>
        h('option', { value: e.id, text: e.label, selected: assignment[field.id] === e.id }),
      ),
    );
    select.addEventListener('change', () => {
      if (select.value) {
        assignment[field.id] = select.value;
      } else {
        delete assignment[field.id];
      }
      onChange({ ...assignment });
    });
    return h(
      'label',
      { class: 'kodelab-rb__field' },
      h('span', { class: 'kodelab-rb__field-label', text: field.label }),
      select,
    );
  });
  const described = entities.filter((e) => e.description);
  const legendText = 'Assign every field to the entity it belongs to';
  return [
    h(
      'fieldset',
      { class: 'kodelab-rb__question' },
      h('legend', { class: 'kodelab-rb__legend', text: legendText }),
      ...rows,
    ),
    described.length
      ? h(
          'details',
          { class: 'kodelab-rb__entities' },
          h('summary', { text: 'About the entities' }),
          h('ul', {}, ...described.map((e) => h('li', { text: `${e.label}: ${e.description}` }))),
        )
      : null,
  ].filter(Boolean);
}

function renderControls(round, answer, onChange, uid) {
  if (round.type === 'quiz') {
    return quizControls(round, answer, onChange, uid);
  }
  if (round.type === 'architecture') {
    return architectureControls(round, answer, onChange);
  }
  if (round.type === 'modeling') {
    return modelingControls(round, answer, onChange);
  }
  return [];
}

// -- the widget ------------------------------------------------------------------------------

function render({ model, el }) {
  const sessionId = Number(model.get('session_id')) || 0;
  const roundMode = Boolean(model.get('round_id'));
  const uid = `${sessionId}-${(uidCounter += 1)}`;
  const session = sessionId > 0 ? sessionFor(sessionId) : null;
  const local = {
    disposed: false,
    controlsFor: null, // the round id whose controls are on screen
    warnedFor: null,
    confirmOpen: false,
    lastSeenIndex: null,
    sharedLink: '',
    justSubmitted: '',
  };

  // Header
  const brand = h('span', { class: 'kodelab-rb__brand', text: 'KodeLab interview' });
  const titleNode = h('strong', { class: 'kodelab-rb__title' });
  const progress = h('span', { class: 'kodelab-rb__progress' });
  const roundTitle = h('span', { class: 'kodelab-rb__round-title' });
  const timer = h('span', { class: 'kodelab-rb__timer', role: 'timer', 'aria-live': 'off' });
  const header = h(
    'div',
    { class: 'kodelab-rb__header' },
    brand,
    titleNode,
    progress,
    roundTitle,
    timer,
  );

  // Actions
  const submitButton = button('⬆ Submit', 'Submit this round', 'kodelab-rb__button--primary');
  const endButton = button('End interview', 'End the interview now (asks to confirm)');
  const savedNode = h('span', { class: 'kodelab-rb__saved' });
  const actions = h('div', { class: 'kodelab-rb__actions' }, submitButton, endButton, savedNode);

  // The confirmation of "End interview"
  const confirmText = h('p', {
    id: `kodelab-rb-confirm-${uid}`,
    text:
      'End the interview now? The rounds not yet submitted are skipped and score 0. ' +
      'This cannot be undone.',
  });
  const confirmYes = button(
    'End interview',
    'Yes, end the interview now',
    'kodelab-rb__button--danger',
  );
  const confirmNo = button('Keep going', 'No, keep going with the interview');
  const confirmBox = h(
    'div',
    {
      class: 'kodelab-rb__confirm',
      role: 'alertdialog',
      'aria-modal': 'false',
      'aria-labelledby': `kodelab-rb-confirm-${uid}`,
      hidden: true,
    },
    confirmText,
    h('div', { class: 'kodelab-rb__actions' }, confirmYes, confirmNo),
  );

  const notice = h('div', { class: 'kodelab-rb__notice', role: 'status', 'aria-live': 'polite' });
  const controls = h('div', { class: 'kodelab-rb__controls' });
  const statusLine = h('div', { class: 'kodelab-rb__status', 'aria-live': 'polite' });
  const result = h('div', { class: 'kodelab-rb__result', 'aria-live': 'polite' });
  const announcer = h('div', { class: 'kodelab-rb__sr-only', 'aria-live': 'assertive' });

  const root = h(
    'div',
    { class: `kodelab-rb${roundMode ? ' kodelab-rb--section' : ''}`, role: 'region' },
    header,
    notice,
    controls,
    actions,
    roundMode ? null : confirmBox,
    statusLine,
    result,
    announcer,
  );
  if (roundMode) {
    brand.hidden = true;
    titleNode.hidden = true;
    endButton.hidden = true;
  }
  el.append(root);

  // -- what this view shows -------------------------------------------------------------

  function shownRound() {
    if (!session || !session.view) {
      return null;
    }
    return roundMode ? session.round(model.get('round_id')) : session.current();
  }

  function showError(err, { fatal = false } = {}) {
    const message = err && err.message ? err.message : String(err);
    result.replaceChildren(
      h('div', { class: 'kodelab-rb__error', role: 'alert', text: `⚠ ${message}` }),
    );
    if (fatal) {
      root.classList.add('kodelab-rb--error');
    }
  }

  function setFatal(message) {
    if (model.get('error') !== message) {
      try {
        model.set('error', message);
        model.save_changes();
      } catch (_err) {
        // A model without a kernel behind it: showing the error is enough.
      }
    }
    renderAll();
  }

  function updateButtons() {
    const round = shownRound();
    const error = Boolean(model.get('error'));
    const busy = Boolean(session && session.busy);
    const open = Boolean(round && round.status === 'open');
    submitButton.disabled = error || busy || !open;
    endButton.disabled = error || busy || !session || !session.view || session.finished;
    submitButton.hidden =
      Boolean(session && session.finished && !roundMode) || (roundMode && !open);
    endButton.hidden = roundMode || Boolean(session && session.finished);
    root.classList.toggle('kodelab-rb--busy', busy);
  }

  function renderHeader() {
    const view = session && session.view;
    const round = shownRound();
    titleNode.textContent = view ? view.title : 'Loading the interview…';
    root.setAttribute(
      'aria-label',
      view
        ? `KodeLab interview: ${view.title}${roundMode && round ? `, round ${round.index + 1}` : ''}`
        : 'KodeLab interview',
    );
    if (!view) {
      progress.textContent = '';
      roundTitle.textContent = '';
      return;
    }
    const count = view.round_count;
    if (roundMode) {
      progress.textContent = round ? `Round ${round.index + 1} of ${count}` : '';
      roundTitle.textContent = round
        ? `${round.title} · ${STATUS_LABELS[round.status] || round.status}`
        : '';
    } else if (session.finished) {
      progress.textContent = 'Interview finished';
      roundTitle.textContent = '';
    } else if (round) {
      progress.textContent = `Round ${round.index + 1} of ${count}`;
      roundTitle.textContent = `${round.title} · ${TYPE_LABELS[round.type] || round.type}`;
    }
  }

  function renderTimer() {
    const round = shownRound();
    if (!round || round.status !== 'open' || !round.deadline || model.get('error')) {
      timer.hidden = true;
      return;
    }
    timer.hidden = false;
    const left = Date.parse(round.deadline) - session.now();
    if (left > 0) {
      const warning = left <= WARN_MS;
      const text = warning
        ? `⚠ ${formatLeft(left)} left · last minute`
        : `⏱ ${formatLeft(left)} left`;
      if (timer.textContent !== text) {
        timer.textContent = text;
      }
      timer.classList.toggle('kodelab-rb__timer--warning', warning);
      timer.classList.remove('kodelab-rb__timer--expired');
      if (warning && local.warnedFor !== round.id && !roundMode) {
        local.warnedFor = round.id;
        announcer.textContent = 'One minute left in this round.';
      }
      return;
    }
    timer.textContent = "⌛ Time's up";
    timer.classList.remove('kodelab-rb__timer--warning');
    timer.classList.add('kodelab-rb__timer--expired');
  }

  function renderControlsArea(force) {
    const round = shownRound();
    const open = Boolean(round && round.status === 'open' && !model.get('error'));
    let key = null;
    if (open && !CODE_TYPES.has(round.type)) {
      key = round.id;
    } else if (open && !roundMode) {
      key = `code:${round.id}`;
    }
    if (!force && key === local.controlsFor) {
      return;
    }
    local.controlsFor = key;
    if (key === null) {
      controls.replaceChildren();
    } else if (key.startsWith('code:')) {
      const sql = (round.content && round.content.language) === 'sql';
      const where = `Round ${round.index + 1} below`;
      controls.replaceChildren(
        h('p', {
          class: 'kodelab-rb__hint',
          text: sql
            ? `Write your query in the %%sql answer cell of ${where} (run its setup cell first to explore the tables). Submit sends the saved notebook's answer cell.`
            : `Write your answer in the answer cell of ${where}. Submit sends the saved notebook's answer cell.`,
        }),
      );
    } else {
      const onChange = (answer) => session.setAnswer(round.id, answer, uid);
      controls.replaceChildren(
        ...renderControls(round, session.answers.get(round.id), onChange, uid),
      );
    }
  }

  function renderNotice() {
    const view = session && session.view;
    const parts = [];
    if (view && view.notebook_error) {
      parts.push(`The session notebook could not be updated: ${view.notebook_error}.`);
    }
    const round = session && session.current();
    if (!roundMode && round && round.status === 'open' && session.stale(el)) {
      const where = `Round ${round.index + 1}'s section was added at the end of the notebook file`;
      parts.push(
        CODE_TYPES.has(round.type)
          ? `${where}: reload the notebook to see its cells (File ▸ Reload Notebook from Disk; your saved work is kept).`
          : `${where} (reload the notebook to see it); you can also answer right here.`,
      );
    }
    notice.textContent = parts.join(' ');
    notice.hidden = !parts.length;
  }

  function renderScorecard() {
    if (!session || !session.finished) {
      return;
    }
    const round = roundMode ? shownRound() : null;
    if (roundMode) {
      if (round) {
        result.replaceChildren(
          h('div', {
            class: 'kodelab-rb__banner',
            text: `${STATUS_LABELS[round.status] || round.status} · score ${percent(round.score)}`,
          }),
        );
      }
      return;
    }
    const card = session.card;
    if (!card) {
      result.replaceChildren(
        h('div', { class: 'kodelab-rb__hint', text: 'Loading your scorecard…' }),
      );
      return;
    }
    const rows = (card.rounds || []).map((r, index) =>
      h(
        'tr',
        { class: `kodelab-rb__row--${r.passed ? 'passed' : 'failed'}` },
        h('td', { text: `${index + 1}. ${r.title}` }),
        h('td', { text: STATUS_LABELS[r.status] || r.status }),
        h('td', { class: 'kodelab-rb__num', text: percent(r.score) }),
        h('td', {
          class: 'kodelab-rb__num',
          text:
            typeof r.time_spent_s === 'number'
              ? `${formatLeft(r.time_spent_s * 1000)} / ${formatLeft(r.time_limit_s * 1000)}`
              : '–',
        }),
      ),
    );
    const table = h(
      'table',
      { class: 'kodelab-rb__card' },
      h('caption', { class: 'kodelab-rb__sr-only', text: 'Scores per round' }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', text: 'Round' }),
          h('th', { scope: 'col', text: 'Result' }),
          h('th', { scope: 'col', text: 'Score' }),
          h('th', { scope: 'col', text: 'Time' }),
        ),
      ),
      h('tbody', {}, ...rows),
    );
    const lists = [];
    if ((card.strengths || []).length) {
      lists.push(h('div', { text: `Strengths: ${card.strengths.join(', ')}` }));
    }
    if ((card.areas_to_improve || []).length) {
      lists.push(h('div', { text: `To improve: ${card.areas_to_improve.join(', ')}` }));
    }
    const png = h('a', {
      class: 'kodelab-rb__button',
      href: `${baseUrl()}kodelab/api/interview-sessions/${session.id}/scorecard.png`,
      download: `kodelab-scorecard-${session.id}.png`,
      text: '⬇ Download scorecard (PNG)',
    });
    const share = button('🔗 Copy share link', 'Copy a read-only link to this scorecard');
    const linkOut = h('input', {
      class: 'kodelab-rb__link',
      type: 'text',
      readonly: true,
      'aria-label': 'Share link',
      value: local.sharedLink || undefined,
      hidden: !local.sharedLink,
    });
    const shareStatus = h('span', { class: 'kodelab-rb__hint', role: 'status' });
    share.addEventListener('click', async () => {
      share.disabled = true;
      try {
        const data = await api('POST', `kodelab/api/interview-sessions/${session.id}/share`);
        const link = new URL(
          `${baseUrl()}kodelab/api/shared/${encodeURIComponent(data.share_token)}`,
          window.location.href,
        ).href;
        local.sharedLink = link;
        linkOut.value = link;
        linkOut.hidden = false;
        try {
          await navigator.clipboard.writeText(link);
          shareStatus.textContent =
            'Link copied. Anyone with it (logged in to this server) sees the scores only.';
        } catch (_err) {
          linkOut.focus();
          linkOut.select();
          shareStatus.textContent =
            'Copy the link from the box (the clipboard is not available here).';
        }
      } catch (err) {
        shareStatus.textContent = `⚠ ${err.message}`;
      } finally {
        share.disabled = false;
      }
    });
    result.replaceChildren(
      h('div', {
        class: `kodelab-rb__banner kodelab-rb__banner--${card.overall_percent >= 70 ? 'good' : 'low'}`,
        text: `Interview finished · overall ${card.overall_percent}%`,
      }),
      table,
      ...lists,
      h('div', { class: 'kodelab-rb__actions' }, png, share, shareStatus),
      linkOut,
    );
  }

  function renderAll() {
    const error = model.get('error');
    root.classList.toggle('kodelab-rb--error', Boolean(error));
    if (error) {
      timer.hidden = true;
      controls.replaceChildren();
      local.controlsFor = null;
      notice.hidden = true;
      result.replaceChildren(
        h('div', { class: 'kodelab-rb__error', role: 'alert', text: `⚠ ${error}` }),
      );
      renderHeader();
      updateButtons();
      return;
    }
    renderHeader();
    renderTimer();
    renderControlsArea(false);
    renderNotice();
    renderScorecard();
    updateButtons();
  }

  // -- reacting to the session ------------------------------------------------------------

  function onSession(event) {
    if (local.disposed) {
      return;
    }
    if (event.type === 'view') {
      const index = session.currentIndex;
      if (local.lastSeenIndex !== null && index !== local.lastSeenIndex && !roundMode) {
        const before = local.justSubmitted ? `${local.justSubmitted} ` : '';
        local.justSubmitted = '';
        savedNode.textContent = '';
        if (session.finished) {
          statusLine.textContent = `${before}The interview is over.`;
        } else {
          const round = session.current();
          if (round) {
            statusLine.textContent = `${before}Round ${round.index + 1} of ${session.view.round_count} is open: ${round.title}.`;
            announcer.textContent = statusLine.textContent;
          }
          result.replaceChildren();
        }
      }
      local.lastSeenIndex = index;
      renderAll();
    } else if (event.type === 'answer') {
      if (event.source !== uid && shownRound() && shownRound().id === event.round) {
        renderControlsArea(true);
      }
    } else if (event.type === 'saved') {
      const round = shownRound();
      if (round && round.id === event.round) {
        savedNode.textContent = `Draft saved ${event.at.toLocaleTimeString()}`;
      }
    } else if (event.type === 'draft-error') {
      savedNode.textContent = `⚠ Draft not saved: ${event.error.message}`;
    } else if (event.type === 'busy') {
      if (event.what === 'submit') {
        const round = session.round(event.round);
        const show = !roundMode || (round && round.id === model.get('round_id'));
        if (show) {
          statusLine.textContent = event.auto
            ? "Time's up: submitting your answer…"
            : `Submitting round ${round ? round.index + 1 : ''}…`;
        }
      } else if (event.what === 'end') {
        statusLine.textContent = 'Ending the interview…';
      } else if (statusLine.textContent.endsWith('…')) {
        statusLine.textContent = '';
      }
      updateButtons();
    } else if (event.type === 'submitted') {
      const round = session.round(event.round);
      const mine = !roundMode || event.round === model.get('round_id');
      if (mine && round) {
        statusLine.textContent = event.auto
          ? `Time's up: round ${round.index + 1} was submitted automatically.`
          : `Round ${round.index + 1} submitted.`;
        local.justSubmitted = statusLine.textContent;
        announcer.textContent = statusLine.textContent;
      }
    } else if (event.type === 'timeup') {
      const round = session.round(event.round);
      if (!roundMode || event.round === model.get('round_id')) {
        renderTimer();
        statusLine.textContent = "Time's up.";
        announcer.textContent = `Time's up for round ${round ? round.index + 1 : ''}.`;
      }
    } else if (event.type === 'card') {
      renderScorecard();
    } else if (event.type === 'error') {
      const err = event.error;
      if (err && err.status === 404 && !session.view) {
        unsubscribe();
        setFatal(
          `Unknown interview session ${sessionId}: it is not one of your sessions on this server. ${err.message}`,
        );
        return;
      }
      showError(err);
      updateButtons();
    }
  }

  // -- actions --------------------------------------------------------------------------

  function onSubmit() {
    const round = shownRound();
    if (round) {
      session.submit(round.id);
    }
  }

  function openConfirm() {
    local.confirmOpen = true;
    confirmBox.hidden = false;
    confirmNo.focus();
  }

  function closeConfirm() {
    local.confirmOpen = false;
    confirmBox.hidden = true;
    endButton.focus();
  }

  function onConfirmKey(event) {
    if (event.key === 'Escape') {
      event.stopPropagation();
      closeConfirm();
    }
  }

  async function onConfirmYes() {
    confirmBox.hidden = true;
    local.confirmOpen = false;
    await session.end();
  }

  const ticker = setInterval(() => {
    if (!local.disposed && session && session.view) {
      renderTimer();
    }
  }, TICK_MS);

  submitButton.addEventListener('click', onSubmit);
  endButton.addEventListener('click', openConfirm);
  confirmNo.addEventListener('click', closeConfirm);
  confirmYes.addEventListener('click', onConfirmYes);
  confirmBox.addEventListener('keydown', onConfirmKey);
  model.on('change:error', renderAll);

  let unsubscribe = () => {};
  if (!model.get('error') && session) {
    unsubscribe = session.subscribe(onSession);
    const ready = session.view ? Promise.resolve(session.view) : session.refresh();
    ready
      .then(() => {
        if (local.disposed) {
          return;
        }
        // This view's document has the sections of the rounds opened so far.
        session.hosts.set(el, { round: session.currentIndex ?? Number.MAX_SAFE_INTEGER });
        local.lastSeenIndex = session.currentIndex;
        renderAll();
        // A view rendered after a sibling may need fresher state than the sibling's.
        if (Date.now() - session.lastFetch > 5000) {
          session.refresh().catch(() => {});
        }
      })
      .catch(() => {
        // Reported through the session's error event.
      });
  }
  renderAll();

  return () => {
    local.disposed = true;
    clearInterval(ticker);
    unsubscribe();
    if (session) {
      session.hosts.delete(el);
    }
    submitButton.removeEventListener('click', onSubmit);
    endButton.removeEventListener('click', openConfirm);
    confirmNo.removeEventListener('click', closeConfirm);
    confirmYes.removeEventListener('click', onConfirmYes);
    confirmBox.removeEventListener('keydown', onConfirmKey);
    model.off('change:error', renderAll);
  };
}

export default { render };
