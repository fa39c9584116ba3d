// KodeLab challenge bar: the browser half of kodelab_jupyter.widgets.ChallengeBar.
//
// The kernel only syncs public facts (challenge_id, title, difficulty, time_limit_minutes,
// error). Every API call happens here, in the browser, with the page's own credentials (see
// bar_common.js). This file is the challenge bar's own part of the widget's module:
// kodelab_jupyter/static_assets.py puts bar_common.js in front of it (baseUrl, the XSRF
// cookie, request(), sleep, saveNotebook, the reload-surviving flags, h(), formatLeft and
// TICK_MS, WARN_MS, POLL_MS, AUTO_SUBMIT_WINDOW_MS come from there).

const VERDICT_WAIT_MS = 10 * 60 * 1000; // stop waiting for a verdict after this long
const MAX_POLL_ERRORS = 5;

const STATUS = {
  passed: { symbol: '✓', label: 'passed' },
  failed: { symbol: '✗', label: 'failed' },
  error: { symbol: '!', label: 'error' },
  timeout: { symbol: '⏱', label: 'timeout' },
  skipped: { symbol: '–', label: 'skipped' },
};

const VERDICTS = {
  accepted: 'Accepted',
  wrong_answer: 'Wrong answer',
  runtime_error: 'Runtime error',
  time_limit_exceeded: 'Time limit exceeded',
  memory_limit_exceeded: 'Memory limit exceeded',
  output_limit_exceeded: 'Output limit exceeded',
  compile_error: 'Compile error',
  internal_error: 'Internal error (not your fault: please try again)',
};

const CONFETTI = ['🎉', '✨', '🎊', '⭐', '🥳'];

// The challenge bar's API calls: { data, response } (start reads the response's Date header),
// errors with a "try again in" hint on a 429.
function api(method, path, body) {
  return request(method, path, body);
}

function formatNumber(value) {
  return typeof value === 'number' ? String(Math.round(value * 100) / 100) : String(value ?? '?');
}

// -- the widget ---------------------------------------------------------------------------------

function render({ model, el }) {
  const challengeId = () => model.get('challenge_id');
  const view = {
    disposed: false,
    busy: false,
    path: null,
    deadline: null, // ms since epoch, server clock; null when untimed
    deadlineKey: null,
    skew: 0, // server clock minus browser clock, when they disagree noticeably
    seenRunning: false,
    warned: false,
    expired: false,
    autoSubmitPending: false,
    attempts: null,
    solved: false,
    interval: null,
    startPromise: null,
  };

  // Header
  const titleNode = h('strong', { class: 'kodelab-bar__title' });
  const badge = h('span', { class: 'kodelab-bar__badge' });
  const timer = h('span', { class: 'kodelab-bar__timer', role: 'timer' });
  const attemptsNode = h('span', { class: 'kodelab-bar__attempts' });
  const header = h(
    'div',
    { class: 'kodelab-bar__header' },
    h('span', { class: 'kodelab-bar__brand', text: 'KodeLab' }),
    titleNode,
    badge,
    timer,
    attemptsNode,
  );

  // Actions
  const runButton = h('button', {
    type: 'button',
    class: 'kodelab-bar__button',
    'aria-label': 'Run tests: save the notebook and run the visible tests',
    text: '▶ Run tests',
  });
  const submitButton = h('button', {
    type: 'button',
    class: 'kodelab-bar__button kodelab-bar__button--primary',
    'aria-label': 'Submit: save the notebook and grade it on all tests, counting an attempt',
    text: '⬆ Submit',
  });
  const hintsButton = h('button', {
    type: 'button',
    class: 'kodelab-bar__button',
    'aria-label': 'Hints: show the hints unlocked so far',
    text: '💡 Hints',
  });
  const buttons = [runButton, submitButton, hintsButton];
  const pathNode = h('span', { class: 'kodelab-bar__path' });
  const actions = h(
    'div',
    { class: 'kodelab-bar__actions' },
    runButton,
    submitButton,
    hintsButton,
    pathNode,
  );

  // Results: one polite live region for status, verdicts and errors; hints have their own.
  const statusLine = h('div', { class: 'kodelab-bar__status' });
  const resultBody = h('div', { class: 'kodelab-bar__result' });
  const results = h(
    'div',
    { class: 'kodelab-bar__results', 'aria-live': 'polite' },
    statusLine,
    resultBody,
  );
  const hintsArea = h('div', { class: 'kodelab-bar__hints', 'aria-live': 'polite' });
  // Countdown milestones (one minute left, time is up) for screen readers: the timer itself
  // is not live, or it would speak every second.
  const announcer = h('div', { class: 'kodelab-bar__sr-only', 'aria-live': 'polite' });

  const root = h(
    'div',
    { class: 'kodelab-bar', role: 'region' },
    header,
    actions,
    results,
    hintsArea,
    announcer,
  );
  el.append(root);

  function renderHeader() {
    const title = model.get('title') || challengeId();
    const difficulty = (model.get('difficulty') || '').toLowerCase();
    titleNode.textContent = title;
    root.setAttribute('aria-label', `KodeLab challenge: ${title}`);
    badge.textContent = difficulty ? difficulty.charAt(0).toUpperCase() + difficulty.slice(1) : '';
    badge.className = `kodelab-bar__badge kodelab-bar__badge--${difficulty || 'none'}`;
    badge.hidden = !difficulty;
    timer.hidden = Boolean(model.get('error'));
    if (view.deadline === null) {
      const minutes = model.get('time_limit_minutes');
      timer.textContent = minutes ? `⏱ ${minutes} min` : '⏱ No time limit';
    }
  }

  function renderAttempts() {
    attemptsNode.textContent =
      view.attempts === null ? '' : `Attempts: ${view.attempts}${view.solved ? ' · solved ✓' : ''}`;
  }

  function setBusy(busy, text) {
    view.busy = busy;
    for (const button of buttons) {
      button.disabled = busy || Boolean(model.get('error'));
    }
    root.classList.toggle('kodelab-bar--busy', busy);
    statusLine.textContent = text || '';
  }

  function showError(err) {
    resultBody.replaceChildren(
      h('div', {
        class: 'kodelab-bar__error',
        text: `⚠ ${err && err.message ? err.message : String(err)}`,
      }),
    );
  }

  async function withBusy(text, work) {
    if (view.busy || view.disposed) {
      return;
    }
    setBusy(true, text);
    try {
      await work((next) => {
        if (!view.disposed) {
          statusLine.textContent = next;
        }
      });
    } catch (err) {
      if (!view.disposed) {
        showError(err);
      }
    } finally {
      if (!view.disposed) {
        setBusy(false, '');
        if (view.autoSubmitPending) {
          view.autoSubmitPending = false;
          autoSubmit();
        }
      }
    }
  }

  // -- start and countdown -------------------------------------------------------------------

  async function start() {
    const sent = Date.now();
    const { data, response } = await api(
      'POST',
      `kodelab/api/challenges/${encodeURIComponent(challengeId())}/start`,
    );
    const received = Date.now();
    // The countdown runs on the browser clock: correct it when it disagrees with the
    // server's (whose deadline counts) by more than the Date header's 1 s resolution.
    const serverNow = Date.parse(response.headers.get('Date') || '');
    if (!Number.isNaN(serverNow)) {
      const skew = serverNow + 500 - (sent + received) / 2;
      view.skew = Math.abs(skew) > 2000 ? skew : 0;
    }
    view.path = data.path;
    pathNode.textContent = data.path ? `Grading ${data.path}` : '';
    pathNode.title = data.path || '';
    const deadline = data.deadline ? Date.parse(data.deadline) : NaN;
    view.deadline = Number.isNaN(deadline) ? null : deadline;
    view.deadlineKey = `kodelab:auto-submitted:${challengeId()}:${data.deadline}`;
    startCountdown();
    return data;
  }

  function ensureStarted() {
    if (!view.startPromise) {
      view.startPromise = start().catch((err) => {
        view.startPromise = null; // Let the next click try again.
        throw err;
      });
    }
    return view.startPromise;
  }

  function startCountdown() {
    if (view.interval !== null) {
      clearInterval(view.interval);
      view.interval = null;
    }
    if (view.deadline === null) {
      renderHeader();
      return;
    }
    tick();
    if (!view.expired) {
      view.interval = setInterval(tick, TICK_MS);
    }
  }

  function tick() {
    if (view.disposed || view.deadline === null) {
      return;
    }
    const left = view.deadline - (Date.now() + view.skew);
    if (left > 0) {
      view.seenRunning = true;
      const warning = left <= WARN_MS;
      const text = warning
        ? `⚠ ${formatLeft(left)} left (under a minute)`
        : `⏱ ${formatLeft(left)} left`;
      if (timer.textContent !== text) {
        timer.textContent = text;
      }
      timer.classList.toggle('kodelab-bar__timer--warning', warning);
      if (warning && !view.warned) {
        view.warned = true;
        announcer.textContent = 'Less than a minute left.';
      }
      return;
    }
    view.expired = true;
    if (view.interval !== null) {
      clearInterval(view.interval);
      view.interval = null;
    }
    timer.textContent = '⌛ Time is up';
    timer.classList.remove('kodelab-bar__timer--warning');
    timer.classList.add('kodelab-bar__timer--expired');
    announcer.textContent = 'Time is up.';
    // Auto-submit once: when this page saw the clock run out, or was (re)loaded just after.
    if (view.seenRunning || -left <= AUTO_SUBMIT_WINDOW_MS) {
      autoSubmit();
    }
  }

  function autoSubmit() {
    if (view.disposed || view.solved || !view.deadlineKey || flagged(view.deadlineKey)) {
      return;
    }
    if (view.busy) {
      view.autoSubmitPending = true; // After the request in flight finishes.
      return;
    }
    // Flag before submitting: a reload (or a second view of this widget) must not submit
    // again, even if this submission fails.
    setFlag(view.deadlineKey);
    submit(true);
  }

  // -- results ---------------------------------------------------------------------------------

  function testRow(test) {
    const status = STATUS[test.status] || { symbol: '?', label: String(test.status) };
    const name = test.visible ? test.name : `${test.name} (hidden)`;
    return h(
      'tr',
      { class: `kodelab-bar__test kodelab-bar__test--${status.label}` },
      h('td', { class: 'kodelab-bar__test-name', text: name }),
      h(
        'td',
        { class: 'kodelab-bar__test-status' },
        h('span', { 'aria-hidden': 'true', class: 'kodelab-bar__symbol', text: status.symbol }),
        ` ${status.label}`,
      ),
      h('td', {
        class: 'kodelab-bar__test-points',
        text: `${formatNumber(test.points)}/${formatNumber(test.max_points)}`,
      }),
      // Expected vs got: the server sends messages for visible tests only (a hidden test's is
      // at most an exception class name).
      h('td', { class: 'kodelab-bar__test-message' }, test.message ? h('pre', { text: test.message }) : ''),
    );
  }

  function renderVerdict(verdict, { kind, late = false, auto = false, firstSolve = false }) {
    if (!verdict) {
      showError(new Error('The grader returned no verdict.'));
      return;
    }
    const accepted = verdict.verdict === 'accepted';
    const label = VERDICTS[verdict.verdict] || String(verdict.verdict);
    let text;
    if (kind === 'run') {
      text = accepted ? '✓ Visible tests passed' : `✗ Visible tests: ${label}`;
    } else {
      text = accepted ? `✓ ${label}${firstSolve ? ': solved! 🎉' : ''}` : `✗ ${label}`;
    }
    if (late) {
      text += ' (late: submitted after the deadline)';
    }
    if (auto) {
      text += ' · submitted automatically when time ran out';
    }
    const banner = h('div', {
      class: `kodelab-bar__banner kodelab-bar__banner--${accepted ? 'accepted' : 'rejected'}`,
      text,
    });
    const parts = [
      `Score: ${formatNumber(verdict.score)} / ${formatNumber(verdict.max_score)}`,
      typeof verdict.duration_s === 'number' ? `${formatNumber(verdict.duration_s)} s` : null,
      view.attempts !== null && kind !== 'run' ? `attempt ${view.attempts}` : null,
      kind === 'run' ? 'visible tests only, not an attempt' : null,
    ].filter(Boolean);
    const summary = h('div', { class: 'kodelab-bar__score', text: parts.join(' · ') });
    const tests = verdict.tests || [];
    const table = tests.length
      ? h(
          'table',
          { class: 'kodelab-bar__tests' },
          h('caption', { class: 'kodelab-bar__sr-only', text: 'Test results' }),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col', text: 'Test' }),
              h('th', { scope: 'col', text: 'Result' }),
              h('th', { scope: 'col', text: 'Points' }),
              h('th', { scope: 'col', text: 'Details' }),
            ),
          ),
          h('tbody', {}, ...tests.map(testRow)),
        )
      : null;
    const message = verdict.message
      ? h('pre', { class: 'kodelab-bar__message', text: verdict.message })
      : null;
    resultBody.replaceChildren(...[banner, summary, message, table].filter(Boolean));
  }

  function celebrate() {
    const layer = h('div', { class: 'kodelab-bar__confetti', 'aria-hidden': 'true' });
    for (let i = 0; i < 28; i += 1) {
      const piece = h('span', { text: CONFETTI[i % CONFETTI.length] });
      piece.style.left = `${Math.random() * 100}%`;
      piece.style.animationDelay = `${Math.random() * 0.6}s`;
      piece.style.setProperty('--kodelab-drift', `${Math.round((Math.random() - 0.5) * 120)}px`);
      layer.append(piece);
    }
    root.append(layer);
    setTimeout(() => layer.remove(), 3200);
  }

  // -- actions -----------------------------------------------------------------------------------

  function runTests() {
    return withBusy('Saving the notebook…', async (status) => {
      const { path } = await ensureStarted();
      await saveNotebook(el, path);
      status('Running the visible tests…');
      const { data } = await api(
        'POST',
        `kodelab/api/challenges/${encodeURIComponent(challengeId())}/run`,
        { path },
      );
      renderVerdict(data, { kind: 'run' });
    });
  }

  async function waitForVerdict(submissionId, status) {
    const until = Date.now() + VERDICT_WAIT_MS;
    let errors = 0;
    while (!view.disposed) {
      if (Date.now() > until) {
        throw new Error(
          `Still grading after ${VERDICT_WAIT_MS / 60000} minutes; check your submission history later.`,
        );
      }
      try {
        const { data } = await api('GET', `kodelab/api/submissions/${submissionId}`);
        errors = 0;
        if (data.status === 'done') {
          return data;
        }
        status(data.status === 'running' ? 'Grading…' : 'Waiting for a grader…');
      } catch (err) {
        // A blip (network, server restart) is retried; a real answer (404, 403) is not.
        errors += 1;
        if ((err.status && err.status < 500) || errors >= MAX_POLL_ERRORS) {
          throw err;
        }
      }
      await sleep(POLL_MS);
    }
    return null;
  }

  function submit(auto = false) {
    return withBusy(auto ? 'Time is up: saving and submitting…' : 'Saving the notebook…', async (status) => {
      const { path } = await ensureStarted();
      await saveNotebook(el, path);
      status('Submitting…');
      const { data } = await api('POST', 'kodelab/api/submissions', {
        challenge_id: challengeId(),
        path,
      });
      if (view.attempts !== null) {
        view.attempts += 1;
      }
      renderAttempts();
      status('Waiting for a grader…');
      const done = await waitForVerdict(data.id, status);
      if (!done) {
        return;
      }
      const accepted = Boolean(done.verdict && done.verdict.verdict === 'accepted');
      const firstSolve = accepted && !view.solved;
      if (accepted) {
        view.solved = true;
        renderAttempts();
      }
      renderVerdict(done.verdict, { kind: 'submit', late: Boolean(done.late), auto, firstSolve });
      if (firstSolve) {
        celebrate();
      }
    });
  }

  function showHints() {
    return withBusy('Loading hints…', async () => {
      const { data } = await api(
        'GET',
        `kodelab/api/challenges/${encodeURIComponent(challengeId())}/hints`,
      );
      const hints = (data && data.hints) || [];
      const total = (data && data.total) || 0;
      const children = [];
      if (hints.length) {
        children.push(
          h('div', {
            class: 'kodelab-bar__hints-title',
            text: `Hints (${hints.length} of ${total} unlocked)`,
          }),
          h('ol', {}, ...hints.map((hint) => h('li', { text: hint }))),
        );
      } else if (total) {
        children.push(
          h('div', {
            text: `No hints unlocked yet — each failed submission unlocks one (${total} available).`,
          }),
        );
      } else {
        children.push(h('div', { text: 'This challenge has no hints.' }));
      }
      if (data && data.solution) {
        children.push(
          h(
            'details',
            { class: 'kodelab-bar__solution' },
            h('summary', { text: 'Reference solution' }),
            h('pre', { text: data.solution }),
          ),
        );
      }
      hintsArea.replaceChildren(...children);
    });
  }

  async function loadHistory() {
    const { data } = await api(
      'GET',
      `kodelab/api/submissions?challenge_id=${encodeURIComponent(challengeId())}`,
    );
    const submissions = Array.isArray(data) ? data : [];
    view.attempts = submissions.length;
    view.solved = submissions.some((s) => s.verdict && s.verdict.verdict === 'accepted');
    renderAttempts();
  }

  function onRun() {
    runTests();
  }
  function onSubmit() {
    submit(false);
  }
  function onHints() {
    showHints();
  }

  function onError() {
    const error = model.get('error');
    root.classList.toggle('kodelab-bar--error', Boolean(error));
    renderHeader();
    if (error) {
      resultBody.replaceChildren(
        h('div', { class: 'kodelab-bar__error', role: 'alert', text: `⚠ ${error}` }),
      );
    }
    for (const button of buttons) {
      button.disabled = view.busy || Boolean(error);
    }
  }

  runButton.addEventListener('click', onRun);
  submitButton.addEventListener('click', onSubmit);
  hintsButton.addEventListener('click', onHints);
  model.on('change:title', renderHeader);
  model.on('change:difficulty', renderHeader);
  model.on('change:time_limit_minutes', renderHeader);
  model.on('change:error', onError);

  renderHeader();
  renderAttempts();
  onError();

  if (!model.get('error')) {
    withBusy('Opening the challenge…', async () => {
      const [started, history] = await Promise.allSettled([ensureStarted(), loadHistory()]);
      if (started.status === 'rejected') {
        throw started.reason;
      }
      if (history.status === 'rejected') {
        throw history.reason;
      }
    });
  }

  return () => {
    view.disposed = true;
    if (view.interval !== null) {
      clearInterval(view.interval);
    }
    runButton.removeEventListener('click', onRun);
    submitButton.removeEventListener('click', onSubmit);
    hintsButton.removeEventListener('click', onHints);
    model.off('change:title', renderHeader);
    model.off('change:difficulty', renderHeader);
    model.off('change:time_limit_minutes', renderHeader);
    model.off('change:error', onError);
  };
}

export default { render };
