/**
 * The siteverify APIs of Turnstile, hCaptcha and reCAPTCHA v3, faked as real HTTP servers on
 * loopback (third parties with no local form). Each answers its provider's documented JSON shape,
 * error codes included: a wrong secret is `invalid-input-secret`, an unknown token
 * `invalid-input-response`. Tokens the test registers answer what it chose; `outage` makes the
 * whole API fail the ways a real one does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Provider = 'turnstile' | 'hcaptcha' | 'recaptcha';

/** The widget's page: what a real provider reports as `hostname` for a token solved there. */
export const SITE_HOSTNAME = 'app.example.com';
export const SITE_ACTION = 'authkit_start';

/** What a solved token says, beyond `success`; absent fields keep the provider's usual values. */
export type Solved = { hostname?: string; action?: string; score?: number };

export type Outage =
  | 'none'
  | 'status-503'
  | 'status-429'
  | 'not-json'
  | 'no-verdict'
  | 'hang'
  | 'internal-error';

export type SiteverifyRequest = { contentType: string | undefined; form: URLSearchParams };

export type FakeSiteverify = {
  provider: Provider;
  url: string;
  secret: string;
  /** Tokens the fake accepts, each with what its answer says. */
  tokens: Map<string, Solved>;
  outage: Outage;
  requests: SiteverifyRequest[];
  close: () => Promise<void>;
};

/** The answer to a token the provider accepts, as each documents it. */
function accepted(provider: Provider, solved: Solved): Record<string, unknown> {
  const common = {
    success: true,
    challenge_ts: new Date().toISOString(),
    hostname: solved.hostname ?? SITE_HOSTNAME,
  };
  switch (provider) {
    case 'turnstile':
      return { ...common, 'error-codes': [], action: solved.action ?? SITE_ACTION, cdata: '', metadata: {} };
    case 'hcaptcha':
      return { ...common, credit: false };
    case 'recaptcha':
      return { ...common, score: solved.score ?? 0.9, action: solved.action ?? SITE_ACTION };
  }
}

const refused = (code: string) => ({ success: false, 'error-codes': [code] });

export async function startFakeSiteverify(
  provider: Provider,
  secret = `${provider}-secret`,
): Promise<FakeSiteverify> {
  const fake = {
    provider,
    secret,
    tokens: new Map(),
    outage: 'none',
    requests: [],
  } as unknown as FakeSiteverify;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk;
    });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      fake.requests.push({ contentType: request.headers['content-type'], form });
      const answer = (status: number, json: unknown, type = 'application/json') => {
        response.writeHead(status, { 'content-type': type });
        response.end(typeof json === 'string' ? json : JSON.stringify(json));
      };
      switch (fake.outage) {
        case 'hang':
          return;
        case 'status-503':
          return answer(503, '<html>Service Unavailable</html>', 'text/html');
        case 'status-429':
          return answer(429, { success: false, 'error-codes': ['rate-limited'] });
        case 'not-json':
          return answer(200, '<html>upstream error</html>', 'text/html');
        case 'no-verdict':
          return answer(200, { message: 'maintenance' });
        case 'internal-error':
          return answer(200, refused('internal-error'));
      }
      if (form.get('secret') !== fake.secret) return answer(200, refused('invalid-input-secret'));
      const token = form.get('response');
      if (!token) return answer(200, refused('missing-input-response'));
      const solved = fake.tokens.get(token);
      answer(200, solved ? accepted(provider, solved) : refused('invalid-input-response'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/siteverify`;
  fake.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
