/**
 * `npm run smoke`, run as an operator runs it after a deploy (a child process through npm), against
 * the local runtime: it passes there. Put behind a loopback proxy that breaks one contract of the
 * local runtime's answers, it fails with exit code 1 and names that check, and only that check.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../local/ports.ts';
import { type LocalRuntime, REPO_ROOT } from '../../local/runtime.ts';
import { startTestRuntime } from '../support/stack.ts';

type Run = { code: number | null; output: string };

/** `npm run smoke -- <args>`, exactly as documented; --silent keeps npm's own banner out of the output. */
function smoke(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'smoke', '--', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

const lines = (run: Run, result: 'PASS' | 'FAIL') =>
  run.output.split('\n').filter((line) => line.startsWith(`${result} `));
/** The check a result line is about: `PASS  <check>  GET /path  200  12 ms`. */
const checkOf = (line: string | undefined) =>
  /^(?:PASS|FAIL) {2}(.+?) +(?:GET|POST) \//.exec(line ?? '')?.[1];

type Answer = { status: number; headers: Record<string, string>; body: string };

/** A loopback proxy in front of the local runtime that lets `alter` rewrite one answer. */
async function brokenProxy(
  target: string,
  alter: (path: string, answer: Answer) => Answer,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const upstream = await fetch(`${target}${request.url}`, {
      method: request.method,
      headers: request.headers['content-type'] ? { 'content-type': request.headers['content-type'] } : {},
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const headers = Object.fromEntries(
      [...upstream.headers].filter(
        ([name]) => !['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name),
      ),
    );
    const answer = alter(request.url ?? '/', {
      status: upstream.status,
      headers,
      body: await upstream.text(),
    });
    response.writeHead(answer.status, answer.headers).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let runtime: LocalRuntime;

beforeAll(async () => {
  // Every run of the smoke test starts a challenge for the same identifier.
  runtime = await startTestRuntime({ RateLimitPerIdentifier: '1000' });
}, 30_000);

afterAll(async () => {
  await runtime?.close();
});

describe('npm run smoke', () => {
  it('passes against the local runtime: every check, exit code 0', async () => {
    const run = await smoke('--url', runtime.url);

    expect(run.code).toBe(0);
    expect(lines(run, 'FAIL')).toEqual([]);
    expect(lines(run, 'PASS').map(checkOf)).toEqual(['health', 'jwks', 'start', 'gateway responses']);
    expect(run.output).toContain('All 4 checks passed.');
  });

  const breaks: [string, string, (path: string, answer: Answer) => Answer, RegExp][] = [
    [
      'health',
      'GET /health answers 503 degraded',
      (path, answer) =>
        path === '/health'
          ? { ...answer, status: 503, body: JSON.stringify({ status: 'degraded', checks: {} }) }
          : answer,
      /expected 200, got 503/,
    ],
    [
      'jwks',
      'the JWKS publishes a private key',
      (path, answer) => {
        if (path !== '/.well-known/jwks.json') return answer;
        const { keys } = JSON.parse(answer.body) as { keys: Record<string, string>[] };
        const [first, ...rest] = keys;
        return {
          ...answer,
          body: JSON.stringify({ keys: [{ ...first, d: 'bm90LWEtcmVhbC1rZXk' }, ...rest] }),
        };
      },
      /has private parts \(d\)/,
    ],
    [
      'start',
      'POST /v1/auth/start answers without x-request-id',
      (path, answer) =>
        path === '/v1/auth/start'
          ? {
              ...answer,
              headers: Object.fromEntries(
                Object.entries(answer.headers).filter(([name]) => name !== 'x-request-id'),
              ),
            }
          : answer,
      /no x-request-id header/,
    ],
    [
      'gateway responses',
      "an unknown route gets API Gateway's default answer (no gateway responses deployed)",
      (path, answer) =>
        path.startsWith('/authkit-smoke-')
          ? {
              status: 403,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ message: 'Missing Authentication Token' }),
            }
          : answer,
      /content-type is "application\/json", not application\/problem\+json; no x-request-id header/,
    ],
  ];

  it.each(breaks)('fails and names the %s check when %s', async (name, _, alter, reason) => {
    const proxy = await brokenProxy(runtime.url, alter);
    try {
      const run = await smoke('--url', proxy.url);

      expect(run.code).toBe(1);
      const failed = lines(run, 'FAIL');
      expect(failed).toHaveLength(1);
      expect(checkOf(failed[0])).toBe(name);
      expect(failed[0]).toMatch(reason);
      expect(lines(run, 'PASS')).toHaveLength(3);
      expect(run.output).toMatch(new RegExp(`1 of 4 checks failed: ${name}`));
    } finally {
      await proxy.close();
    }
  });

  it('says the URL cannot be reached, and exits 1', async () => {
    const run = await smoke('--url', `http://127.0.0.1:${await freePort()}/live`);

    expect(run.code).toBe(1);
    expect(run.output).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:\d+\/live \(connect ECONNREFUSED/);
    expect(run.output).toContain("it is the stack's ApiUrl output");
  });

  it('refuses to run without --url (exit code 2, usage)', async () => {
    const run = await smoke();

    expect(run.code).toBe(2);
    expect(run.output).toContain('--url is required');
    expect(run.output).toContain('usage: npm run smoke -- --url <ApiUrl>');
  });
});
