/**
 * Cloudflare Turnstile's siteverify, faked as a real HTTP server on loopback (a third party with no
 * local form). It accepts one token for one secret; `status` lets a test make it fail.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from '@jest/globals';
import { challengeWorkflow, useTemplateEnvironment } from './stack.ts';

export const TURNSTILE_SECRET_NAME = 'authkit/turnstile';
export const TURNSTILE_SECRET = 'turnstile-secret';
export const VALID_TOKEN = 'valid-turnstile-token';

export type FakeTurnstile = { url: string; status: number; close: () => Promise<void> };

export async function startFakeTurnstile(): Promise<FakeTurnstile> {
  const fake = { status: 200 } as FakeTurnstile;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk;
    });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      const success = form.get('secret') === TURNSTILE_SECRET && form.get('response') === VALID_TOKEN;
      response.writeHead(fake.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ success, 'error-codes': success ? [] : ['invalid-input-response'] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/siteverify`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

/**
 * For a test file: the challenge workflow with Turnstile configured (plus `parameters`), its
 * siteverify faked on loopback for the file's lifetime. Call at the top level of the file.
 */
export function turnstileWorkflowForSuite(parameters: Record<string, string>): {
  workflow: () => ReturnType<typeof challengeWorkflow>;
  turnstile: () => FakeTurnstile;
} {
  let turnstile: FakeTurnstile;
  let workflow: ReturnType<typeof challengeWorkflow>;
  beforeAll(async () => {
    turnstile = await startFakeTurnstile();
    process.env.CAPTCHA_VERIFY_URL = turnstile.url;
    const template = await useTemplateEnvironment(
      { CaptchaProvider: 'turnstile', CaptchaSecretName: TURNSTILE_SECRET_NAME, ...parameters },
      { [TURNSTILE_SECRET_NAME]: TURNSTILE_SECRET },
    );
    workflow = challengeWorkflow(template);
  });
  afterAll(async () => {
    delete process.env.CAPTCHA_VERIFY_URL;
    await turnstile.close();
  });
  return { workflow: () => workflow, turnstile: () => turnstile };
}
