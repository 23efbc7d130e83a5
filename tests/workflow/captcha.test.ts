/** VerifyCaptcha with Turnstile configured in `always` mode: a token on every start. */
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../layers/core/src/config.ts';
import { fromWorkflowFailure } from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { budgetsFor } from '../../layers/core/src/rate-limits.ts';
import { stores } from '../support/core-fixtures.ts';
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

  it('counts no budget for the starts it refuses, and counts the one it lets through', async () => {
    const email = uniqueEmail('captchabudget');
    const source = { ip: '203.0.113.10' };
    // The budgets' keys and window; the limits do not change where they are counted.
    const { rateLimit } = loadConfig({}, ['rateLimit']);
    const budgets = budgetsFor(rateLimit, normalizeIdentifier(email), source);
    const identifierBudget = async () =>
      (await stores().counters.peek(budgets, rateLimit.windowSeconds, Date.now()))[0];
    await execute(suite.workflow(), workflowInput(email));
    await execute(suite.workflow(), workflowInput(email, { captchaToken: 'forged' }));
    expect(await identifierBudget()).toEqual({ n: 0 });
    await execute(suite.workflow(), workflowInput(email, { captchaToken: VALID_TOKEN }));
    expect(await identifierBudget()).toEqual({ n: 1 });
  });

  it('sends the code when the provider accepts the token', async () => {
    const email = uniqueEmail('goodcaptcha');
    const execution = await execute(suite.workflow(), workflowInput(email, { captchaToken: VALID_TOKEN }));
    expect(execution.status).toBe('SUCCEEDED');
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it.each([
    ['an email', () => uniqueEmail('captchadown')],
    ['an SMS', () => '+14155550142'],
  ])(
    'fails closed for %s (ServiceUnavailable, 503) while the provider answers 5xx',
    async (_, identifier) => {
      suite.turnstile().outage = 'status-503';
      try {
        const execution = await execute(
          suite.workflow(),
          workflowInput(identifier(), { captchaToken: VALID_TOKEN }),
        );
        expect(execution).toMatchObject({ status: 'FAILED', error: 'ServiceUnavailable' });
        expect(fromWorkflowFailure(execution.error ?? '', execution.cause)).toMatchObject({
          status: 503,
          code: 'service_unavailable',
          refusalRule: 'captcha-unavailable',
        });
      } finally {
        suite.turnstile().outage = 'none';
      }
    },
  );

  it('refuses a token solved on a site that is not the app (CaptchaInvalid)', async () => {
    suite.turnstile().tokens.set('elsewhere', { hostname: 'phish.example.net' });
    const email = uniqueEmail('elsewhere');
    const execution = await execute(suite.workflow(), workflowInput(email, { captchaToken: 'elsewhere' }));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CaptchaInvalid' });
    expect(await emailsTo(email)).toHaveLength(0);
  });
});
