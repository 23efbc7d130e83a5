/**
 * The SMS breaker through the workflow's own steps (CheckRateLimit, VerifyCaptcha) with Turnstile
 * in escalate mode: while a trip stands over a country, an SMS start there ends in CaptchaRequired
 * and the refusal names the breaker for the audit; a start elsewhere or with a token goes on to
 * SendChallenge (made to fail before it runs: no SMS provider here).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { fromWorkflowFailure } from '../../layers/core/src/errors.ts';
import { tripBreaker } from '../support/core-fixtures.ts';
import { turnstileWorkflowForSuite, VALID_TOKEN } from '../support/turnstile.ts';
import { execute, RecordingInvoker, workflowInput } from '../support/workflow.ts';

let invoker: RecordingInvoker;
const suite = turnstileWorkflowForSuite({ SmsAllowedCountries: 'BE,SE' }, (inner) => {
  invoker = new RecordingInvoker(inner);
  return invoker;
});

beforeAll(async () => {
  // Belgium tripped ten minutes ago, for an hour.
  await tripBreaker(
    { scope: 'country', value: 'BE' },
    { trippedAt: Date.now() - 600_000, sends: 150, verified: 2 },
  );
});

/**
 * Runs a start whose SendChallenge, if reached, fails before it runs; whether it got there is the
 * answer. A fault left unused by a start refused earlier fails a later send the same way.
 */
async function start(number: string, extra: Record<string, unknown> = {}) {
  invoker.failNext('SendChallengeFunction', 'DeliveryFailed');
  const before = invoker.count('SendChallengeFunction');
  const execution = await execute(suite.workflow(), workflowInput(number, extra));
  return { execution, reachedSend: invoker.count('SendChallengeFunction') > before };
}

describe('the SMS breaker in the challenge workflow', () => {
  it('asks an SMS start to a tripped country for captcha, naming the breaker for the audit only', async () => {
    // Act
    const { execution, reachedSend } = await start('+32450001234');

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaRequired' });
    expect(reachedSend).toBe(false);
    const refusal = fromWorkflowFailure(execution.error ?? '', execution.cause);
    expect(refusal).toMatchObject({ status: 428, code: 'captcha_required', refusalRule: 'sms-breaker' });
    // What a client sees is the usual 428 body, without the rule.
    expect(refusal?.data()).toEqual({});
  });

  it('lets an SMS start to another country, and one to the tripped country with a token, go on to the send', async () => {
    expect((await start('+46701234567')).reachedSend).toBe(true);
    expect((await start('+32450001235', { captchaToken: VALID_TOKEN })).reachedSend).toBe(true);
  });
});
