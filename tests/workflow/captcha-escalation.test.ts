/**
 * Captcha escalation: with a provider in `escalate` mode (the default), a start needs a token only
 * once it is risky — here, once the identifier has spent more than half its budget.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { challengeWorkflow, uniqueEmail, useTemplateEnvironment } from '../support/stack.ts';
import {
  type FakeTurnstile,
  startFakeTurnstile,
  TURNSTILE_SECRET,
  TURNSTILE_SECRET_NAME,
  VALID_TOKEN,
} from '../support/turnstile.ts';
import { execute, workflowInput } from '../support/workflow.ts';

const PER_IDENTIFIER = 4;
let turnstile: FakeTurnstile;
let workflow: ReturnType<typeof challengeWorkflow>;

beforeAll(async () => {
  turnstile = await startFakeTurnstile();
  process.env.CAPTCHA_VERIFY_URL = turnstile.url;
  const template = useTemplateEnvironment(
    {
      CaptchaProvider: 'turnstile',
      CaptchaSecretName: TURNSTILE_SECRET_NAME,
      RateLimitPerIdentifier: String(PER_IDENTIFIER),
    },
    { [TURNSTILE_SECRET_NAME]: TURNSTILE_SECRET },
  );
  workflow = challengeWorkflow(template);
});

afterAll(async () => {
  delete process.env.CAPTCHA_VERIFY_URL;
  await turnstile.close();
});

describe('VerifyCaptcha in escalate mode', () => {
  it('asks for no token while the identifier is within half its budget, then asks for one', async () => {
    const email = uniqueEmail('escalate');
    for (let i = 0; i < PER_IDENTIFIER / 2; i++) {
      expect((await execute(workflow, workflowInput(email))).status).toBe('SUCCEEDED');
    }
    const risky = await execute(workflow, workflowInput(email));
    expect(risky).toMatchObject({ status: 'FAILED', error: 'CaptchaRequired' });
    const withToken = await execute(workflow, workflowInput(email, { captchaToken: VALID_TOKEN }));
    expect(withToken.status).toBe('SUCCEEDED');
  });

  it('still checks a token that is sent on a start that needed none', async () => {
    const execution = await execute(
      workflow,
      workflowInput(uniqueEmail('forged'), { captchaToken: 'forged' }),
    );
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaInvalid' });
  });
});
