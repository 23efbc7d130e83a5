/**
 * A resend is a send: it runs the same challenge workflow as a start — the lockout and budgets,
 * the denylist, captcha when the risk calls for it — and only then meets the cool-down and send cap
 * in the send step's claim. Against `npm start`'s runtime, with Turnstile faked on loopback.
 */

import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { TABLES } from '../support/core-fixtures.ts';
import { documentClient, emailsTo, uniqueEmail } from '../support/stack.ts';
import { turnstileRuntimeForSuite, VALID_TOKEN } from '../support/turnstile.ts';

const PER_IDENTIFIER = 4;
const suite = turnstileRuntimeForSuite({
  RateLimitPerIdentifier: String(PER_IDENTIFIER),
});

const resend = (challengeId: unknown, extra: Record<string, unknown> = {}) =>
  suite.http.post('/v1/auth/resend', { challengeId, ...extra });

/** The challenge's last code as if sent an hour ago: its cool-down is over (no spec waits 30 s). */
const cooledDown = (challengeId: unknown) =>
  documentClient().send(
    new UpdateCommand({
      TableName: TABLES.challenges,
      Key: { pk: challengeId },
      UpdateExpression: 'SET lastSentAt = :hourAgo',
      ExpressionAttributeValues: { ':hourAgo': Date.now() - 3_600_000 },
    }),
  );

describe('POST /v1/auth/resend', () => {
  it('answers 428 captcha_required where a start for the same identifier and IP would', async () => {
    // Prepare: half the identifier's budget spent makes its sends risky
    const email = uniqueEmail('risky');
    const first = await suite.http.start(email);
    await suite.http.start(email);
    await cooledDown(first.body.challengeId);

    // Act
    const started = await suite.http.start(email);
    const resent = await resend(first.body.challengeId);

    // Assess
    expect(started).toMatchObject({ status: 428, body: { code: 'captcha_required' } });
    expect(resent).toMatchObject({ status: 428, body: { code: 'captcha_required' } });
    expect(await emailsTo(email)).toHaveLength(2);
  });

  it('with the captcha solved, sends the next code', async () => {
    // Prepare
    const email = uniqueEmail('solved');
    const first = await suite.http.start(email);
    await suite.http.start(email);
    await cooledDown(first.body.challengeId);

    // Act
    const resent = await resend(first.body.challengeId, { captchaToken: VALID_TOKEN });

    // Assess
    expect(resent).toMatchObject({ status: 202, body: { challengeId: first.body.challengeId } });
    expect(await emailsTo(email)).toHaveLength(3);
  });

  it('inside the cool-down, answers 429 with the time left', async () => {
    // Prepare
    const started = await suite.http.start(uniqueEmail('cooling'));

    // Act
    const resent = await resend(started.body.challengeId);

    // Assess
    expect(resent).toMatchObject({ status: 429, body: { code: 'rate_limited', rule: 'cooldown' } });
    expect(Number(resent.headers.get('retry-after'))).toBeLessThanOrEqual(30);
  });

  it("refuses an identifier whose budget is spent, naming the budget, not the challenge's cool-down", async () => {
    // Prepare
    const email = uniqueEmail('spent');
    const first = await suite.http.start(email);
    for (let i = 1; i < PER_IDENTIFIER; i++) await suite.http.start(email, { captchaToken: VALID_TOKEN });
    await cooledDown(first.body.challengeId);

    // Act
    const resent = await resend(first.body.challengeId, { captchaToken: VALID_TOKEN });

    // Assess
    expect(resent).toMatchObject({ status: 429, body: { code: 'rate_limited', rule: 'budget' } });
    expect(await emailsTo(email)).toHaveLength(PER_IDENTIFIER);
  });

  it('refuses a denylisted identifier with 422 and sends nothing', async () => {
    // Prepare
    const email = uniqueEmail('denied');
    const started = await suite.http.start(email);
    await cooledDown(started.body.challengeId);
    await documentClient().send(
      new PutCommand({ TableName: TABLES.denylist, Item: { pk: `email#${email}` } }),
    );

    // Act
    const resent = await resend(started.body.challengeId);

    // Assess
    expect(resent).toMatchObject({ status: 422, body: { code: 'identifier_rejected' } });
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it('answers 409 challenge_closed for a challenge that does not exist', async () => {
    // Act
    const resent = await resend('ch_doesnotexist');

    // Assess
    expect(resent).toMatchObject({ status: 409, body: { code: 'challenge_closed' } });
  });

  it.each([['locale', 'en-GB']])(
    'refuses %s on start with 400 naming it, until the feature that uses it lands',
    async (field, value) => {
      // Act
      const started = await suite.http.start(uniqueEmail('fields'), { [field]: value });

      // Assess
      expect(started).toMatchObject({ status: 400, body: { code: 'invalid_request', field } });
    },
  );
});
