/**
 * The client of KodeLab's REST API under `<base_url>/kodelab/api/`.
 *
 * Every request goes through `ServerConnection.makeRequest`, so it carries what JupyterLab's
 * own requests carry: the base URL of the page, the `_xsrf` cookie as `X-XSRFToken`, the
 * token when the page has one, and `credentials: 'same-origin'`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  ICatalogEntry,
  ICatalogFilters,
  IChallengeView,
  IHints,
  IRestoreResponse,
  IStartResponse,
  ISubmission,
  ISubmitResponse,
  IVerdict
} from './types';

/** The API's root, relative to the server's base URL. */
export const API_ROOT = 'kodelab/api';

/**
 * An error a person can read: the server's own message when it sent one (typed errors
 * come as `{message, reason}`), else a sentence for the HTTP status.
 */
export class KodeLabApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string = '',
    readonly retryAfter: number | null = null
  ) {
    super(message);
    this.name = 'KodeLabApiError';
  }
}

/** The readable message of a failed response (same wording as the in-notebook bar). */
export function errorMessage(
  status: number,
  statusText: string,
  data: unknown,
  retryAfter: string | null = null
): string {
  let message =
    data && typeof (data as any).message === 'string'
      ? ((data as any).message as string)
      : '';
  if (!message) {
    if (status === 401 || status === 403) {
      message =
        'your Jupyter session is not allowed to do this (reload the page or log in again)';
    } else if (status === 404) {
      message =
        "not found (is KodeLab's server extension enabled on this Jupyter server?)";
    } else {
      message = statusText || 'the server could not handle the request';
    }
  }
  if (status === 429 && retryAfter) {
    message += ` (try again in ${retryAfter} s)`;
  }
  return `${message.charAt(0).toUpperCase()}${message.slice(1)} [HTTP ${status}]`;
}

/** The message of anything thrown (an API error's is already readable). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the server says about its own clock, from a response's `Date` header. */
export function clockSkew(
  response: Response,
  sentAt: number,
  receivedAt: number
): number {
  const serverNow = Date.parse(response.headers.get('Date') || '');
  if (Number.isNaN(serverNow)) {
    return 0;
  }
  // The header has a 1 s resolution: correct only a clear disagreement.
  const skew = serverNow + 500 - (sentAt + receivedAt) / 2;
  return Math.abs(skew) > 2000 ? skew : 0;
}

/** A started challenge, with the server clock's offset from the browser's. */
export interface IStarted extends IStartResponse {
  /** Server clock minus browser clock (ms), 0 unless they clearly disagree. */
  skew: number;
}

/** Options of {@link KodeLabAPI.waitForVerdict}. */
export interface IWaitOptions {
  /** Called with 'pending' / 'running' while the submission waits. */
  onStatus?: (status: string) => void;
  /** Stop waiting (resolves with null) when this returns true. */
  cancelled?: () => boolean;
  pollMs?: number;
  timeoutMs?: number;
  /** Consecutive 5xx / network errors tolerated before giving up. */
  maxErrors?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Every KodeLab endpoint, typed. */
export class KodeLabAPI {
  constructor(options: { serverSettings?: ServerConnection.ISettings } = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
  }

  readonly serverSettings: ServerConnection.ISettings;

  /** The full URL of an endpoint (`endpoint` relative to the API root). */
  url(
    endpoint: string,
    query: Record<string, string | undefined> = {}
  ): string {
    const url = URLExt.join(this.serverSettings.baseUrl, API_ROOT, endpoint);
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') {
        params[key] = value;
      }
    }
    const search = URLExt.objectToQueryString(params);
    return search ? `${url}${search}` : url;
  }

  /** One request; resolves with the parsed JSON body and the response. */
  async request<T>(
    method: 'GET' | 'POST' | 'PUT',
    endpoint: string,
    options: { body?: unknown; query?: Record<string, string | undefined> } = {}
  ): Promise<{ data: T; response: Response }> {
    const init: RequestInit = {
      method,
      headers: { Accept: 'application/json' }
    };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      (init.headers as Record<string, string>)['Content-Type'] =
        'application/json';
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        this.url(endpoint, options.query),
        init,
        this.serverSettings
      );
    } catch (err) {
      const detail = messageOf(err);
      throw new KodeLabApiError(
        `Could not reach the Jupyter server (${detail}).`,
        0
      );
    }
    const text = await response.text();
    let data: any = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const retry = response.headers.get('Retry-After');
      throw new KodeLabApiError(
        errorMessage(response.status, response.statusText, data, retry),
        response.status,
        data && typeof data.reason === 'string' ? data.reason : '',
        retry ? Number(retry) : null
      );
    }
    return { data: data as T, response };
  }

  private async get<T>(
    endpoint: string,
    query: Record<string, string | undefined> = {}
  ): Promise<T> {
    return (await this.request<T>('GET', endpoint, { query })).data;
  }

  private async post<T>(endpoint: string, body?: unknown): Promise<T> {
    return (await this.request<T>('POST', endpoint, { body })).data;
  }

  /** The catalog, filtered on the server, each entry with the user's progress. */
  catalog(filters: ICatalogFilters = {}): Promise<ICatalogEntry[]> {
    return this.get<ICatalogEntry[]>('challenges', { ...filters });
  }

  /** One challenge matching the filters, preferring unsolved ones. */
  random(filters: ICatalogFilters = {}): Promise<IChallengeView> {
    const { difficulty, category, tag } = filters;
    return this.get<IChallengeView>('challenges/random', {
      difficulty,
      category,
      tag
    });
  }

  /** The public view of one challenge. */
  challenge(id: string): Promise<IChallengeView> {
    return this.get<IChallengeView>(`challenges/${encodeURIComponent(id)}`);
  }

  /** Create or reopen the user's notebook; the deadline is the server's. */
  async start(id: string): Promise<IStarted> {
    const sent = Date.now();
    const { data, response } = await this.request<IStartResponse>(
      'POST',
      `challenges/${encodeURIComponent(id)}/start`
    );
    return { ...data, skew: clockSkew(response, sent, Date.now()) };
  }

  /** Grade the saved notebook at `path` on the visible tests only. */
  run(id: string, path: string): Promise<IVerdict> {
    return this.post<IVerdict>(`challenges/${encodeURIComponent(id)}/run`, {
      path
    });
  }

  /** Submit the saved notebook at `path` (graded in the background). */
  submit(id: string, path: string): Promise<ISubmitResponse> {
    return this.post<ISubmitResponse>('submissions', {
      challenge_id: id,
      path
    });
  }

  /** One submission: its status and, when done, its Verdict. */
  submission(id: number): Promise<ISubmission> {
    return this.get<ISubmission>(`submissions/${id}`);
  }

  /** The user's submissions (newest first), with their code. */
  history(challengeId?: string): Promise<ISubmission[]> {
    return this.get<ISubmission[]>('submissions', {
      challenge_id: challengeId
    });
  }

  /** Write a submission's code back into the answer cell of the user's notebook. */
  restore(submissionId: number): Promise<IRestoreResponse> {
    return this.post<IRestoreResponse>(`submissions/${submissionId}/restore`);
  }

  /** Hints unlocked so far (and the solution once allowed). */
  hints(id: string): Promise<IHints> {
    return this.get<IHints>(`challenges/${encodeURIComponent(id)}/hints`);
  }

  /** Give up: unlocks every hint (and the solution if the challenge allows it). */
  giveUp(id: string): Promise<IHints> {
    return this.post<IHints>(`challenges/${encodeURIComponent(id)}/give-up`);
  }

  /**
   * Poll a submission until it is done. Network blips and 5xx are retried; a real answer
   * (4xx) is not. Resolves with null when cancelled.
   */
  async waitForVerdict(
    submissionId: number,
    options: IWaitOptions = {}
  ): Promise<ISubmission | null> {
    const pollMs = options.pollMs ?? 150;
    const timeoutMs = options.timeoutMs ?? 10 * 60 * 1000;
    const maxErrors = options.maxErrors ?? 5;
    const until = Date.now() + timeoutMs;
    let errors = 0;
    while (!options.cancelled?.()) {
      if (Date.now() > until) {
        throw new KodeLabApiError(
          `Still grading after ${Math.round(timeoutMs / 60000)} minutes; check your submission history later.`,
          0
        );
      }
      try {
        const data = await this.submission(submissionId);
        errors = 0;
        if (data.status === 'done') {
          return data;
        }
        options.onStatus?.(data.status);
      } catch (err) {
        errors += 1;
        const status = err instanceof KodeLabApiError ? err.status : 0;
        if ((status >= 400 && status < 500) || errors >= maxErrors) {
          throw err;
        }
      }
      await sleep(pollMs);
    }
    return null;
  }
}
