/**
 * Captcha escalation: with a provider in `escalate` mode (the default), a start needs a token only
 * once it is risky — here, once the identifier has spent more than half its budget.
 */
import { describe, expect, it } from '@jest/globals';
import { uniqueEmail } from '../support/stack.ts';
import { turnstileWorkflowForSuite, VALID_TOKEN } from '../support/turnstile.ts';
import { execute, workflowInput } from '../support/workflow.ts';

const PER_IDENTIFIER = 4;
const suite = turnstileWorkflowForSuite({ RateLimitPerIdentifier: String(PER_IDENTIFIER) });

describe('VerifyCaptcha in escalate mode', () => {
  it('asks for no token while the identifier is within half its budget, then asks for one', async () => {
    const email = uniqueEmail('escalate');
    for (let i = 0; i < PER_IDENTIFIER / 2; i++) {
      expect((await execute(suite.workflow(), workflowInput(email))).status).toBe('SUCCEEDED');
    }
    const risky = await execute(suite.workflow(), workflowInput(email));
    expect(risky).toMatchObject({ status: 'FAILED', error: 'CaptchaRequired' });
    const withToken = await execute(suite.workflow(), workflowInput(email, { captchaToken: VALID_TOKEN }));
    expect(withToken.status).toBe('SUCCEEDED');
  });

  it('still checks a token that is sent on a start that needed none', async () => {
    const execution = await execute(
      suite.workflow(),
      workflowInput(uniqueEmail('forged'), { captchaToken: 'forged' }),
    );
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaInvalid' });
  });
});
