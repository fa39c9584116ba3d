import { ServerConnection } from '@jupyterlab/services';

import { KodeLabAPI, KodeLabApiError, clockSkew, errorMessage } from '../api';

type Handler = (request: Request) => Response | Promise<Response>;

/** An API client whose requests go to `handler` instead of the network. */
function client(
  handler: Handler,
  options: Partial<ServerConnection.ISettings> = {}
): { api: KodeLabAPI; requests: Request[] } {
  const requests: Request[] = [];
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const request = input as Request;
    requests.push(request);
    return handler(request);
  };
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/user/ada/',
    wsUrl: 'ws://localhost:8888/user/ada/',
    fetch: fetch as any,
    ...options
  });
  return { api: new KodeLabAPI({ serverSettings }), requests };
}

function json(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {}
) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers }
  });
}

function withoutCacheBuster(url: string): string {
  // ServerConnection appends a timestamp to defeat caches (cache: 'no-store').
  return url.replace(/[?&]\d{10,}$/, '');
}

afterEach(() => {
  document.cookie = '_xsrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});

describe('KodeLabAPI requests', () => {
  it('builds URLs under the base URL and leaves empty filters out', async () => {
    const { api, requests } = client(() => json([]));
    await api.catalog({
      difficulty: 'easy',
      category: '',
      tag: 'hash map',
      q: undefined
    });
    expect(requests).toHaveLength(1);
    expect(withoutCacheBuster(requests[0].url)).toBe(
      'http://localhost:8888/user/ada/kodelab/api/challenges?difficulty=easy&tag=hash%20map'
    );
    expect(requests[0].method).toBe('GET');
  });

  it('sends the _xsrf cookie as X-XSRFToken, like JupyterLab', async () => {
    document.cookie = '_xsrf=2|abc|def|123';
    const { api, requests } = client(() =>
      json({ id: 7, status: 'pending', late: false }, 202)
    );
    const result = await api.submit('two-sum', 'kodelab/two-sum.ipynb');
    expect(result.id).toBe(7);
    const request = requests[0];
    expect(request.method).toBe('POST');
    expect(request.headers.get('X-XSRFToken')).toBe('2|abc|def|123');
    expect(request.headers.get('Content-Type')).toBe('application/json');
    expect(withoutCacheBuster(request.url)).toBe(
      'http://localhost:8888/user/ada/kodelab/api/submissions'
    );
    expect(await request.json()).toEqual({
      challenge_id: 'two-sum',
      path: 'kodelab/two-sum.ipynb'
    });
  });

  it('sends the page token when there is one', async () => {
    const { api, requests } = client(() => json([]), { token: 's3cret' });
    await api.history('two-sum');
    expect(requests[0].headers.get('Authorization')).toBe('token s3cret');
    expect(withoutCacheBuster(requests[0].url)).toMatch(
      /kodelab\/api\/submissions\?challenge_id=two-sum$/
    );
  });

  it('encodes ids in paths', async () => {
    const { api, requests } = client(() =>
      json({ path: 'p.ipynb', started_at: null, deadline: null })
    );
    await api.start('two-sum');
    await api.restore(12).catch(() => undefined);
    expect(withoutCacheBuster(requests[0].url)).toMatch(
      /challenges\/two-sum\/start$/
    );
    expect(withoutCacheBuster(requests[1].url)).toMatch(
      /submissions\/12\/restore$/
    );
  });
});

describe('KodeLabAPI errors', () => {
  it('uses the server message, with Retry-After on 429', async () => {
    const { api } = client(() =>
      json(
        { message: 'at most 10 submissions per minute', reason: 'RateLimited' },
        429,
        {
          'Retry-After': '12'
        }
      )
    );
    const error = await api.submit('two-sum', 'a.ipynb').catch(e => e);
    expect(error).toBeInstanceOf(KodeLabApiError);
    expect(error.status).toBe(429);
    expect(error.reason).toBe('RateLimited');
    expect(error.retryAfter).toBe(12);
    expect(error.message).toBe(
      'At most 10 submissions per minute (try again in 12 s) [HTTP 429]'
    );
  });

  it('explains a 404 without a JSON body', async () => {
    const { api } = client(
      () => new Response('<html>nope</html>', { status: 404 })
    );
    const error = await api.catalog().catch(e => e);
    expect(error.message).toMatch(
      /^Not found \(is KodeLab's server extension enabled/
    );
    expect(error.message).toMatch(/\[HTTP 404\]$/);
  });

  it('explains 403', () => {
    expect(errorMessage(403, 'Forbidden', null)).toMatch(
      /^Your Jupyter session is not allowed/
    );
  });

  it('turns a network failure into a readable error', async () => {
    const { api } = client(() => {
      throw new TypeError('Failed to fetch');
    });
    const error = await api.catalog().catch(e => e);
    expect(error).toBeInstanceOf(KodeLabApiError);
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/^Could not reach the Jupyter server/);
  });
});

describe('start and the server clock', () => {
  it('corrects only a clear clock disagreement', () => {
    const now = Date.parse('2030-01-01T00:00:10Z');
    const ahead = new Response('', {
      headers: { Date: 'Tue, 01 Jan 2030 00:00:20 GMT' }
    });
    expect(clockSkew(ahead, now, now)).toBe(10500);
    const same = new Response('', {
      headers: { Date: 'Tue, 01 Jan 2030 00:00:10 GMT' }
    });
    expect(clockSkew(same, now, now)).toBe(0);
    expect(clockSkew(new Response(''), now, now)).toBe(0);
  });

  it('returns the deadline and the skew', async () => {
    const { api } = client(() =>
      json({
        path: 'kodelab/two-sum.ipynb',
        started_at: 'x',
        deadline: '2030-01-01T00:15:00+00:00'
      })
    );
    const started = await api.start('two-sum');
    expect(started.path).toBe('kodelab/two-sum.ipynb');
    expect(started.deadline).toBe('2030-01-01T00:15:00+00:00');
    expect(typeof started.skew).toBe('number');
  });
});

describe('waitForVerdict', () => {
  it('polls until done, retrying server errors', async () => {
    const answers = [
      () => json({ id: 3, status: 'pending' }),
      () => json({ message: 'boom' }, 500),
      () => json({ id: 3, status: 'running' }),
      () =>
        json({
          id: 3,
          status: 'done',
          verdict: {
            verdict: 'accepted',
            score: 1,
            max_score: 1,
            duration_s: 0.1,
            tests: []
          }
        })
    ];
    const { api, requests } = client(() =>
      answers[Math.min(requests.length - 1, 3)]()
    );
    const seen: string[] = [];
    const done = await api.waitForVerdict(3, {
      pollMs: 1,
      onStatus: s => seen.push(s)
    });
    expect(done?.verdict?.verdict).toBe('accepted');
    expect(seen).toEqual(['pending', 'running']);
    expect(requests).toHaveLength(4);
  });

  it('gives up at once on a 4xx', async () => {
    const { api } = client(() => json({ message: 'no submission 3' }, 404));
    await expect(api.waitForVerdict(3, { pollMs: 1 })).rejects.toThrow(
      'No submission 3 [HTTP 404]'
    );
  });

  it('stops when cancelled', async () => {
    const { api } = client(() => json({ id: 3, status: 'pending' }));
    let calls = 0;
    const done = await api.waitForVerdict(3, {
      pollMs: 1,
      cancelled: () => ++calls > 2
    });
    expect(done).toBeNull();
  });
});
