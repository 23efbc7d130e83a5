/**
 * Every refusal of a start or resend leaves an audit record under the identifier's keyed reference:
 * the rule, the error, the masked identifier, the source network, the challenge and the request,
 * and nothing a client sent as a secret. Against `npm start`'s runtime, with Turnstile faked.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { DynamoDenylistStore } from '../../layers/core/src/adapters/dynamodb/denylist-store.ts';
import { auditSubject } from '../../layers/core/src/audit.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { systemClock } from '../../layers/core/src/system.ts';
import { TABLES } from '../support/core-fixtures.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';
import { turnstileRuntimeForSuite, VALID_TOKEN } from '../support/turnstile.ts';

const suite = turnstileRuntimeForSuite({ RateLimitPerIdentifier: '2' });

const trail = async (raw: string) => {
  const secret = suite.runtime.secrets.find('AuditKeySecret')?.value as string;
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: TABLES.audit,
      KeyConditionExpression: 'pk = :subject',
      ExpressionAttributeValues: {
        ':subject': await auditSubject(async () => secret, normalizeIdentifier(raw)),
      },
    }),
  );
  return Items ?? [];
};

describe('a refused start or resend', () => {
  it('a denylisted start: rule denylist, masked identifier, network, ids, expiry; no identifier in full', async () => {
    // Prepare
    const email = uniqueEmail('auditdenied');
    await new DynamoDenylistStore(documentClient(), TABLES.denylist, systemClock).deny({
      key: `email#${email}`,
      reason: 'complaint',
      source: 'aws.ses:evt/fb',
      deniedAt: Date.now(),
    });

    // Act
    const refused = await suite.http.start(email);

    // Assess
    expect(refused.status).toBe(422);
    const [record, ...more] = await trail(email);
    expect(more).toEqual([]);
    expect(record).toEqual({
      pk: expect.stringMatching(/^id#[A-Za-z0-9_-]{43}$/),
      sk: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z#[0-9a-f-]{36}$/),
      at: expect.any(String),
      ttl: expect.any(Number),
      action: 'refused',
      rule: 'denylist',
      error: 'IdentifierRejected',
      identifier: 'a***@e******.com',
      network: '127.0.0.0/24',
      challengeId: expect.stringMatching(/^ch_/),
      requestId: refused.headers.get('x-request-id'),
    });
    expect(record?.ttl).toBeGreaterThan(Date.now() / 1000 + 364 * 86_400);
    expect(JSON.stringify(record)).not.toContain(email);
  });

  it('a captcha refusal and a budget refusal, each under its rule', async () => {
    // Prepare: the first start spends half the budget, so the next is risky
    const email = uniqueEmail('auditbudget');
    expect((await suite.http.start(email)).status).toBe(202);

    // Act
    const unsolved = await suite.http.start(email);
    const forged = await suite.http.post('/v1/auth/start', { identifier: email, captchaToken: 'forged' });
    const solved = await suite.http.post('/v1/auth/start', { identifier: email, captchaToken: VALID_TOKEN });
    const overBudget = await suite.http.post('/v1/auth/start', {
      identifier: email,
      captchaToken: VALID_TOKEN,
    });

    // Assess
    expect([unsolved.status, forged.status, solved.status, overBudget.status]).toEqual([428, 400, 202, 429]);
    const records = await trail(email);
    expect(records.map((record) => [record.rule, record.error])).toEqual([
      ['captcha-required', 'CaptchaRequired'],
      ['captcha-invalid', 'CaptchaInvalid'],
      ['budget', 'RateLimited'],
    ]);
    expect(JSON.stringify(records)).not.toContain('forged');
  });

  it("a resend's early refusal (cool-down), with the challenge it named", async () => {
    // Prepare
    const email = uniqueEmail('auditcooldown');
    const started = await suite.http.start(email);

    // Act
    const resent = await suite.http.post('/v1/auth/resend', { challengeId: started.body.challengeId });

    // Assess
    expect(resent.status).toBe(429);
    expect(await trail(email)).toEqual([
      expect.objectContaining({
        rule: 'cooldown',
        error: 'RateLimited',
        challengeId: started.body.challengeId,
      }),
    ]);
  });
});
