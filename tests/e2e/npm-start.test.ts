/**
 * `npm start` itself, as a developer runs it: a child process with its own DynamoDB Local and SES
 * local, each function in its own module instances. Ready within 60 s (the setup gives up after
 * that); sign-in works.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../local/ports.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { client } from '../support/http.ts';

let child: ChildProcess;
let output = '';
let http: ReturnType<typeof client>;

beforeAll(async () => {
  const port = await freePort();
  child = spawn(join(REPO_ROOT, 'node_modules/.bin/node'), ['local/main.ts', '--port', String(port)], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: undefined, POWERTOOLS_LOG_LEVEL: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready in 60 s:\n${output}`)), 60_000);
    const poll = setInterval(() => {
      if (output.includes('running locally at')) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  http = client(`http://localhost:${port}`);
}, 70_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

describe('npm start', () => {
  it('serves GET /health', async () => {
    expect((await http.get('/health')).status).toBe(200);
  });

  it('signs ada@example.com in', async () => {
    const verified = await http.signIn('ada@example.com');
    expect(verified.status).toBe(200);
    expect(verified.body.user).toMatchObject({ identifier: 'ada@example.com' });
  });

  it('logs each line under the function that wrote it, as separate sandboxes would', async () => {
    // The start function logs its refusal after the workflow's steps ran in the same process: with
    // one shared logger the line would carry the last step's name.
    expect((await http.start('someone@mailinator.com')).status).toBe(422);
    // stdout through a pipe is asynchronous: wait (up to 5 s) for the line to arrive.
    const refusedLines = () => output.split('\n').filter((line) => line.includes('"request refused"'));
    for (let waited = 0; refusedLines().length === 0 && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const refused = refusedLines();
    expect(refused.at(-1)).toContain('"function_name":"StartFunction"');
    expect(refused.at(-1)).toMatch(/"correlation_id":"[0-9a-f-]{36}"/);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
