/** A small client for the local runtime, as an app would call it. */
import { request } from 'node:http';

export type Reply = { status: number; headers: Headers; body: Record<string, unknown> };

/** One HTTP exchange from `localAddress` (any 127.x.y.z stands in for another client). */
function exchange(
  url: URL,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string | undefined;
    localAddress?: string | undefined;
  },
): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: init.method, headers: init.headers, localAddress: init.localAddress },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const one of [value ?? []].flat()) headers.append(name, one);
          }
          resolve({
            status: incoming.statusCode ?? 0,
            headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}

/** `from`: the client's own address, so that the runtime sees another source (default: 127.0.0.1). */
export function client(baseUrl: string, from?: string) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const response = await exchange(new URL(`${baseUrl}${path}`), {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      localAddress: from,
    });
    const { text } = response;
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { text };
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };
  const api = {
    call,
    post: (path: string, body?: unknown, headers?: Record<string, string>) =>
      call('POST', path, body, headers),
    get: (path: string) => call('GET', path),
    start: (identifier: string, extra: Record<string, unknown> = {}) =>
      call('POST', '/v1/auth/start', { identifier, ...extra }),
    verify: (challengeId: unknown, code: string) => call('POST', '/v1/auth/verify', { challengeId, code }),
    refresh: (refreshToken: unknown) =>
      call('POST', '/v1/auth/token', { grantType: 'refresh_token', refreshToken }),
    /** The code of the newest message to `to`, read from the local inbox as a developer would. */
    latestCode: async (to: string): Promise<string> => {
      const { body } = await call('GET', `/_local/messages?to=${encodeURIComponent(to)}`);
      const [message] = body.messages as { text: string }[];
      const match = /\b(\d{6,8})\b/.exec(message?.text ?? '');
      if (!match) throw new Error(`no code sent to ${to}`);
      return match[1] as string;
    },
    /** start → read the code → verify. */
    signIn: async (identifier: string) => {
      const started = await api.start(identifier);
      if (started.status !== 202)
        throw new Error(`start answered ${started.status}: ${JSON.stringify(started.body)}`);
      return api.verify(started.body.challengeId, await api.latestCode(identifier));
    },
  };
  return api;
}
