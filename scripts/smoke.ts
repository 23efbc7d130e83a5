/**
 * `npm run smoke -- --url <ApiUrl>`: checks a deployed AuthKit stack from outside, as a client would.
 * `--url` is the stack's ApiUrl output, stage included (https://<id>.execute-api.<region>.amazonaws.com/live).
 *
 *   health             GET /health → 200, status "ok" (the function runs and can read its table)
 *   jwks               GET /.well-known/jwks.json → 200, at least two public ES256 P-256 keys with kid
 *   start              POST /v1/auth/start → 202 with a challengeId and a masked destination (this sends
 *                      a code: by default to SES's mailbox simulator, which accepts mail in the SES sandbox)
 *   gateway responses  an unknown path → 4xx application/problem+json (REST APIs answer 403 for it)
 *
 * Every response must carry x-request-id. Prints one line per check and a summary; exits 1 when a
 * check fails or the URL cannot be reached, 2 on bad arguments. Plain fetch, no dependencies.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { parseArgs } from 'node:util';

const DEFAULT_IDENTIFIER = 'success@simulator.amazonses.com';
const USAGE = `usage: npm run smoke -- --url <ApiUrl> [--identifier <email or +E.164 number>]
  --url         the stack's ApiUrl output, e.g. https://abc123.execute-api.us-east-1.amazonaws.com/live
  --identifier  who POST /v1/auth/start sends a code to (default ${DEFAULT_IDENTIFIER})`;
const TIMEOUT_MS = 30_000; // API Gateway gives up after 29 s
/** JWK members that only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

type Reply = { status: number; headers: Headers; body: Record<string, unknown> | undefined };
type Check = {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** What is wrong with the reply; empty when it passes. */
  problems: (reply: Reply) => string[];
};

/** The problem detail's code and detail, when the reply is one: tells a 429 from a 503. */
const problemOf = (reply: Reply): string => {
  const { code, detail } = reply.body ?? {};
  return typeof code === 'string' ? ` ${code}${typeof detail === 'string' ? `: ${detail}` : ''}` : '';
};
const status = (expected: number) => (reply: Reply) =>
  reply.status === expected ? [] : [`expected ${expected}, got ${reply.status}${problemOf(reply)}`];

function jwksProblems(reply: Reply): string[] {
  const keys = reply.body?.keys;
  if (!Array.isArray(keys)) return ['no "keys" array'];
  const problems = keys.length < 2 ? [`expected at least 2 keys (current and next), got ${keys.length}`] : [];
  const kids = new Set<unknown>();
  keys.forEach((key: Record<string, unknown>, i) => {
    const label = `key ${typeof key.kid === 'string' && key.kid ? key.kid : i}`;
    if (typeof key.kid !== 'string' || !key.kid) problems.push(`key ${i} has no kid`);
    else if (kids.has(key.kid)) problems.push(`${label} is published twice`);
    kids.add(key.kid);
    if (key.kty !== 'EC' || key.crv !== 'P-256' || key.alg !== 'ES256')
      problems.push(`${label} is not ES256 on P-256 (kty ${key.kty}, crv ${key.crv}, alg ${key.alg})`);
    const leaked = PRIVATE_MEMBERS.filter((member) => member in key);
    if (leaked.length) problems.push(`${label} has private parts (${leaked.join(', ')})`);
    else {
      try {
        createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
      } catch {
        problems.push(`${label} is not a valid public key`);
      }
    }
  });
  return problems;
}

function checks(identifier: string): Check[] {
  return [
    {
      name: 'health',
      method: 'GET',
      path: '/health',
      problems: (reply) => {
        if (reply.status === 403)
          return [`${status(200)(reply)}; is the stage (e.g. /live) part of --url? ApiUrl includes it`];
        if (reply.status !== 200) return status(200)(reply);
        return reply.body?.status === 'ok'
          ? []
          : [`status is ${JSON.stringify(reply.body?.status)}, not "ok"`];
      },
    },
    {
      name: 'jwks',
      method: 'GET',
      path: '/.well-known/jwks.json',
      problems: (reply) => (reply.status === 200 ? jwksProblems(reply) : status(200)(reply)),
    },
    {
      name: 'start',
      method: 'POST',
      path: '/v1/auth/start',
      body: { identifier },
      problems: (reply) => {
        if (reply.status !== 202) return status(202)(reply);
        const { challengeId, destination } = reply.body ?? {};
        const problems: string[] = [];
        if (typeof challengeId !== 'string' || !challengeId.startsWith('ch_'))
          problems.push(`challengeId is ${JSON.stringify(challengeId)}`);
        if (typeof destination !== 'string' || !destination.includes('*') || destination === identifier)
          problems.push(`destination ${JSON.stringify(destination)} is not masked`);
        return problems;
      },
    },
    {
      name: 'gateway responses',
      method: 'GET',
      path: '/authkit-smoke-no-such-route',
      problems: (reply) => {
        const problems =
          reply.status >= 400 && reply.status < 500 ? [] : [`expected a 4xx, got ${reply.status}`];
        const type = reply.headers.get('content-type') ?? '';
        if (!type.startsWith('application/problem+json'))
          problems.push(`content-type is "${type}", not application/problem+json`);
        else if (typeof reply.body?.code !== 'string') problems.push('the problem has no code');
        return problems;
      },
    },
  ];
}

/** Undici reports a refused connection, an unknown host or a bad certificate as a TypeError with a cause. */
function unreachable(error: unknown): string | undefined {
  if (!(error instanceof TypeError)) return undefined;
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.message ?? cause?.code ?? error.message;
}

async function main(): Promise<number> {
  let url: URL;
  let identifier: string;
  try {
    const { values } = parseArgs({
      options: { url: { type: 'string' }, identifier: { type: 'string' }, help: { type: 'boolean' } },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.url) throw new Error('--url is required');
    url = new URL(values.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`${values.url} is not http(s)`);
    identifier = values.identifier ?? DEFAULT_IDENTIFIER;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const base = url.href.replace(/\/+$/, '');
  console.log(`AuthKit smoke test against ${base}`);

  const list = checks(identifier);
  const failed: string[] = [];
  for (const check of list) {
    const started = performance.now();
    const line = (result: string, code: string, problems: string[]) =>
      console.log(
        `${result}  ${check.name.padEnd(18)} ${`${check.method} ${check.path}`.padEnd(36)} ${code.padStart(3)} ${`${Math.round(performance.now() - started)} ms`.padStart(8)}${problems.length ? `  ${problems.join('; ')}` : ''}`,
      );
    let reply: Reply;
    try {
      const response = await fetch(`${base}${check.path}`, {
        method: check.method,
        headers: check.body === undefined ? {} : { 'content-type': 'application/json' },
        body: check.body === undefined ? undefined : JSON.stringify(check.body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const text = await response.text();
      let body: Reply['body'];
      try {
        const parsed: unknown = JSON.parse(text);
        body =
          parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      reply = { status: response.status, headers: response.headers, body };
    } catch (error) {
      const reason = unreachable(error);
      if (reason === undefined) {
        const timedOut = (error as Error).name === 'TimeoutError';
        line('FAIL', '—', [timedOut ? `no answer within ${TIMEOUT_MS / 1000} s` : String(error)]);
        failed.push(check.name);
        continue;
      }
      line('FAIL', '—', [`cannot reach ${url.host}: ${reason}`]);
      console.log(
        `\nCannot reach ${base} (${reason}).\nCheck --url: it is the stack's ApiUrl output, https://<api-id>.execute-api.<region>.amazonaws.com/<stage>.`,
      );
      return 1;
    }
    const problems = check.problems(reply);
    if (!reply.headers.get('x-request-id')) problems.push('no x-request-id header');
    line(problems.length ? 'FAIL' : 'PASS', String(reply.status), problems);
    if (problems.length) failed.push(check.name);
  }

  console.log(
    failed.length
      ? `\n${failed.length} of ${list.length} checks failed: ${failed.join(', ')}`
      : `\nAll ${list.length} checks passed.`,
  );
  return failed.length ? 1 : 0;
}

process.exitCode = await main();
