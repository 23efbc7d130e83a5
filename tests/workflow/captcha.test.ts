/** VerifyCaptcha with Turnstile configured in `always` mode: a token on every start. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { challengeWorkflow, emailsTo, uniqueEmail, useTemplateEnvironment } from '../support/stack.ts';
import {
  type FakeTurnstile,
  startFakeTurnstile,
  TURNSTILE_SECRET,
  TURNSTILE_SECRET_NAME,
  VALID_TOKEN,
} from '../support/turnstile.ts';
import { execute, workflowInput } from '../support/workflow.ts';

let turnstile: FakeTurnstile;
let workflow: ReturnType<typeof challengeWorkflow>;

beforeAll(async () => {
  turnstile = await startFakeTurnstile();
  process.env.CAPTCHA_VERIFY_URL = turnstile.url;
  const template = useTemplateEnvironment(
    { CaptchaProvider: 'turnstile', CaptchaMode: 'always', CaptchaSecretName: TURNSTILE_SECRET_NAME },
    { [TURNSTILE_SECRET_NAME]: TURNSTILE_SECRET },
  );
  workflow = challengeWorkflow(template);
});

afterAll(async () => {
  delete process.env.CAPTCHA_VERIFY_URL;
  await turnstile.close();
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
    turnstile.status = 503;
    try {
      const execution = await execute(
        workflow,
        workflowInput(uniqueEmail('captchadown'), { captchaToken: VALID_TOKEN }),
      );
      expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaInvalid' });
    } finally {
      turnstile.status = 200;
    }
  });
});
