// KodeLab bars: the code the challenge bar (challenge_bar.js) and the interview round bar
// (round_bar.js) share. An anywidget loads one ES module per widget, so this file is not a
// module of its own: kodelab_jupyter/static_assets.py puts it in front of each bar's file and
// the widget gets the two as one module (no imports, no exports here; the bar's file has the
// `export default`).
//
// Every API call happens in the browser, with the page's own credentials: the session cookie
// (credentials: 'same-origin') and the _xsrf cookie echoed back as the X-XSRFToken header,
// exactly like JupyterLab's own requests. Nothing is read from the page config except
// baseUrl. Plain DOM, no framework, no build step.

const TICK_MS = 250; // countdown refresh; the text only changes once a second
const WARN_MS = 60 * 1000; // the last minute is shown in amber (and said in words)
const POLL_MS = 100; // polling the server (a saved file, a verdict): cheap, it answers at once
const SAVE_WAIT_MS = 2000; // how long to wait for Lab's save to land on disk
// A page opened (or reloaded) after the deadline auto-submits only within this window (the
// server's grace), so opening an old notebook never files a surprise late submission.
const AUTO_SUBMIT_WINDOW_MS = 5000;

// -- the page: base URL and XSRF cookie --------------------------------------------------

function baseUrl() {
  let base = '/';
  const node = document.getElementById('jupyter-config-data');
  if (node) {
    try {
      const config = JSON.parse(node.textContent || '{}');
      if (typeof config.baseUrl === 'string' && config.baseUrl) {
        base = config.baseUrl;
      }
    } catch (_err) {
      // No usable page config: fall back to the server root.
    }
  }
  return base.endsWith('/') ? base : `${base}/`;
}

function xsrfCookie() {
  const match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/);
  return match ? match[1] : null;
}

function encodePath(path) {
  return path.split('/').map(encodeURIComponent).join('/');
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// The server's message (or a readable one for its status), capitalized, with the status.
// retryAfter: on a 429, say when to try again (from the Retry-After header).
function errorMessage(response, data, retryAfter) {
  const status = response.status;
  let message = data && typeof data.message === 'string' && data.message ? data.message : '';
  if (!message) {
    if (status === 401 || status === 403) {
      message = 'your Jupyter session is not allowed to do this (reload the page or log in again)';
    } else if (status === 404) {
      message = "not found (is KodeLab's server extension enabled on this Jupyter server?)";
    } else {
      message = response.statusText || 'the server could not handle the request';
    }
  }
  if (retryAfter && status === 429) {
    const retry = response.headers.get('Retry-After');
    if (retry) {
      message += ` (try again in ${retry} s)`;
    }
  }
  return `${message.charAt(0).toUpperCase()}${message.slice(1)} [HTTP ${status}]`;
}

// One JSON request to the Jupyter server: { data, response }, or an ApiError (status 0 when
// the server could not be reached). Each bar wraps this in its own api().
async function request(method, path, body, { retryAfter = true } = {}) {
  const headers = { Accept: 'application/json' };
  const xsrf = xsrfCookie();
  if (xsrf) {
    headers['X-XSRFToken'] = xsrf;
  }
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(baseUrl() + path, init);
  } catch (err) {
    throw new ApiError(`Could not reach the Jupyter server (${err && err.message}).`, 0);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_err) {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(errorMessage(response, data, retryAfter), response.status);
  }
  return { data, response };
}

// -- saving the notebook ------------------------------------------------------------------

// The widget has no handle on JupyterLab's document manager (an anywidget only gets its
// model and element), so it asks Lab to save the way a user would: the save shortcut,
// dispatched from the widget's own element so it bubbles to the app's key handler with
// this notebook as the current document.
function dispatchSaveShortcut(target) {
  const mac = /Mac/i.test((navigator && navigator.platform) || '');
  const event = new KeyboardEvent('keydown', {
    key: 's',
    code: 'KeyS',
    ctrlKey: !mac,
    metaKey: mac,
    bubbles: true,
    cancelable: true,
    composed: true,
  });
  // Lumino's keyboard layout reads the legacy keyCode, which the constructor cannot set.
  for (const name of ['keyCode', 'which']) {
    try {
      Object.defineProperty(event, name, { get: () => 83 });
    } catch (_err) {
      // Read-only in this browser: the key and code fields still describe the shortcut.
    }
  }
  // Lab prevents the default of a shortcut it handled: false means nobody took it.
  return !target.dispatchEvent(event);
}

async function lastModified(path) {
  try {
    const { data } = await request('GET', `api/contents/${encodePath(path)}?content=0`);
    return data && data.last_modified;
  } catch (_err) {
    return undefined; // The call that reads the file reports a missing or unreadable one.
  }
}

// Save, then wait until the file on disk changed (or SAVE_WAIT_MS passed), so what the
// server grades or reads is what is on screen. False when nobody took the shortcut (not in
// JupyterLab / Notebook 7: the server reads what is saved) or the file did not change.
async function saveNotebook(element, path) {
  const before = await lastModified(path);
  if (!dispatchSaveShortcut(element)) {
    return false;
  }
  const until = Date.now() + SAVE_WAIT_MS;
  while (Date.now() < until) {
    await sleep(POLL_MS);
    const now = await lastModified(path);
    if (now !== undefined && now !== before) {
      return true;
    }
  }
  return false;
}

// -- flags that survive a reload (the auto-submit guard) ------------------------------------

const memoryFlags = new Set();

function flagged(key) {
  try {
    return window.localStorage.getItem(key) !== null || memoryFlags.has(key);
  } catch (_err) {
    return memoryFlags.has(key);
  }
}

function setFlag(key) {
  memoryFlags.add(key);
  try {
    window.localStorage.setItem(key, new Date().toISOString());
  } catch (_err) {
    // Storage disabled: the in-memory flag still guards this page.
  }
}

// -- DOM helpers ------------------------------------------------------------------------------

// Text only (textContent), never innerHTML: messages can echo a student's output, and round
// content is author text shown as text.
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === 'class') {
      node.className = value;
    } else if (key === 'text') {
      node.textContent = value;
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

// A duration as m:ss, or h:mm:ss from an hour (rounded up to the second, never negative).
function formatLeft(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}
