/** VerifyCaptcha with Turnstile configured in `always` mode: a token on every start. */
import { describe, expect, it } from '@jest/globals';
import { emailsTo, uniqueEmail } from '../support/stack.ts';
import { turnstileWorkflowForSuite, VALID_TOKEN } from '../support/turnstile.ts';
import { execute, workflowInput } from '../support/workflow.ts';

const suite = turnstileWorkflowForSuite({ CaptchaMode: 'always' });

describe('VerifyCaptcha with Turnstile configured', () => {
  it('ends in CaptchaRequired when no token is sent', async () => {
    const execution = await execute(suite.workflow(), workflowInput(uniqueEmail('nocaptcha')));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaRequired' });
  });

  it('ends in CaptchaInvalid when the provider rejects the token', async () => {
    const email = uniqueEmail('badcaptcha');
    const execution = await execute(suite.workflow(), workflowInput(email, { captchaToken: 'forged' }));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaInvalid' });
    expect(await emailsTo(email)).toHaveLength(0);
  });

  it('sends the code when the provider accepts the token', async () => {
    const email = uniqueEmail('goodcaptcha');
    const execution = await execute(suite.workflow(), workflowInput(email, { captchaToken: VALID_TOKEN }));
    expect(execution.status).toBe('SUCCEEDED');
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it('fails closed (CaptchaInvalid) when the provider keeps answering 5xx', async () => {
    suite.turnstile().status = 503;
    try {
      const execution = await execute(
        suite.workflow(),
        workflowInput(uniqueEmail('captchadown'), { captchaToken: VALID_TOKEN }),
      );
      expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaInvalid' });
    } finally {
      suite.turnstile().status = 200;
    }
  });
});
