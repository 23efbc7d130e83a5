/** VerifyCaptcha with a provider configured: Turnstile's siteverify is faked on loopback. */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { challengeWorkflow, emailsTo, uniqueEmail, useTemplateEnvironment } from '../support/stack.ts';
import { execute, workflowInput } from '../support/workflow.ts';

const VALID_TOKEN = 'valid-turnstile-token';
let verifier: Server;
let verifierStatus = 200;
let workflow: ReturnType<typeof challengeWorkflow>;

beforeAll(async () => {
  verifier = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk;
    });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      const success = form.get('secret') === 'turnstile-secret' && form.get('response') === VALID_TOKEN;
      response.writeHead(verifierStatus, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ success, 'error-codes': success ? [] : ['invalid-input-response'] }));
    });
  });
  await new Promise<void>((resolve) => verifier.listen(0, '127.0.0.1', resolve));
  process.env.CAPTCHA_VERIFY_URL = `http://127.0.0.1:${(verifier.address() as AddressInfo).port}/siteverify`;
  const template = useTemplateEnvironment(
    { CaptchaProvider: 'turnstile', CaptchaSecretName: 'authkit/turnstile' },
    { 'authkit/turnstile': 'turnstile-secret' },
  );
  workflow = challengeWorkflow(template);
});

afterAll(async () => {
  delete process.env.CAPTCHA_VERIFY_URL;
  await new Promise((resolve) => verifier.close(resolve));
});

describe('VerifyCaptcha with Turnstile configured', () => {
  it('ends in CaptchaRequired when no token is sent', async () => {
    const execution = await execute(workflow, workflowInput(uniqueEmail('nocaptcha')));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaRequired' });
  });

  it('ends in CaptchaInvalid when the provider rejects the token', async () => {
    const email = uniqueEmail('badcaptcha');
    const execution = await execute(workflow, workflowInput(email, { captchaToken: 'forged' }));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaInvalid' });
    expect(await emailsTo(email)).toHaveLength(0);
  });

  it('sends the code when the provider accepts the token', async () => {
    const email = uniqueEmail('goodcaptcha');
    const execution = await execute(workflow, workflowInput(email, { captchaToken: VALID_TOKEN }));
    expect(execution.status).toBe('SUCCEEDED');
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it('fails closed (CaptchaInvalid) when the provider keeps answering 5xx', async () => {
    verifierStatus = 503;
    try {
      const execution = await execute(
        workflow,
        workflowInput(uniqueEmail('captchadown'), { captchaToken: VALID_TOKEN }),
      );
      expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaInvalid' });
    } finally {
      verifierStatus = 200;
    }
  });
});
