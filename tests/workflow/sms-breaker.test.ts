/**
 * The SMS breaker through the workflow's own steps (CheckRateLimit, VerifyCaptcha) with Turnstile
 * in escalate mode: while a trip stands over a country, an SMS start there ends in CaptchaRequired
 * and the refusal names the breaker for the audit; a start elsewhere or with a token goes on to
 * SendChallenge (made to fail before it runs: no SMS provider here).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fromWorkflowFailure } from '../../layers/core/src/errors.ts';
import { stores } from '../support/core-fixtures.ts';
import { challengeWorkflow, useTemplateEnvironment } from '../support/stack.ts';
import {
  type FakeTurnstile,
  startFakeTurnstile,
  TURNSTILE_PARAMETERS,
  TURNSTILE_SECRET,
  TURNSTILE_SECRET_NAME,
  VALID_TOKEN,
} from '../support/turnstile.ts';
import { execute, RecordingInvoker, workflowInput } from '../support/workflow.ts';

let invoker: RecordingInvoker;
let turnstile: FakeTurnstile;
let workflow: ReturnType<typeof challengeWorkflow>;

beforeAll(async () => {
  turnstile = await startFakeTurnstile();
  process.env.CAPTCHA_VERIFY_URL = turnstile.url;
  const template = await useTemplateEnvironment(
    { ...TURNSTILE_PARAMETERS, SmsAllowedCountries: 'BE,SE' },
    { [TURNSTILE_SECRET_NAME]: TURNSTILE_SECRET },
  );
  workflow = challengeWorkflow(template, (inner) => {
    invoker = new RecordingInvoker(inner);
    return invoker;
  });
  // Belgium tripped ten minutes ago, for an hour.
  const now = Date.now();
  const trippedAt = now - 600_000;
  await stores().smsBreaker.trip(
    { scope: 'country', value: 'BE' },
    {
      trippedAt,
      until: trippedAt + 3_600_000,
      sends: 150,
      verified: 2,
      baseline: { windowStart: 0, sends: 0, verified: 0 },
    },
    now + 7_200_000,
  );
});

afterAll(async () => {
  delete process.env.CAPTCHA_VERIFY_URL;
  await turnstile.close();
});

/**
 * Runs a start whose SendChallenge, if reached, fails before it runs; whether it got there is the
 * answer. A fault left unused by a start refused earlier fails a later send the same way.
 */
async function start(number: string, extra: Record<string, unknown> = {}) {
  invoker.failNext('SendChallengeFunction', 'DeliveryFailed');
  const before = invoker.count('SendChallengeFunction');
  const execution = await execute(workflow, workflowInput(number, extra));
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
