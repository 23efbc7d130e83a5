/**
 * recordRefusal against DynamoDB Local: what is counted and written for each kind of error, and
 * that a failed audit write changes nothing for the caller.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { DynamoAuditLog } from '../../layers/core/src/adapters/dynamodb/audit-log.ts';
import { auditSubject, type RefusalDeps, recordRefusal } from '../../layers/core/src/audit.ts';
import {
  CaptchaRequired,
  ChallengeClosed,
  DeliveryFailed,
  IdentifierRejected,
  InvalidRequest,
  RateLimited,
  refusedBy,
  ServiceUnavailable,
} from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { ManualClock, TABLES } from '../support/core-fixtures.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';

const AUDIT_KEY = async () => 'audit-key-for-the-specs'.padEnd(40, 'k');

function refusalDeps(table: string = TABLES.audit) {
  const counted: string[] = [];
  const warnings: string[] = [];
  const deps: RefusalDeps = {
    audit: new DynamoAuditLog(documentClient(), table, 30),
    auditKey: AUDIT_KEY,
    clock: new ManualClock(),
    count: (rule) => counted.push(rule),
    warn: (error) => warnings.push((error as Error).name),
  };
  return { deps, counted, warnings };
}

const refusal = (error: unknown, identifier: string | undefined) => ({
  error,
  identifier,
  challengeId: 'ch_test',
  sourceIp: '2001:db8:1:2::7',
  requestId: 'req-1',
});

const trail = async (email: string) => {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: TABLES.audit,
      KeyConditionExpression: 'pk = :subject',
      ExpressionAttributeValues: { ':subject': await auditSubject(AUDIT_KEY, normalizeIdentifier(email)) },
    }),
  );
  return Items ?? [];
};

describe('recordRefusal', () => {
  it.each([
    ['a tagged rejection', refusedBy(new IdentifierRejected(), 'sms-country'), 'sms-country'],
    ['an untagged rejection', new IdentifierRejected(), 'identifier-rejected'],
    ['a rate limit, by its own rule', new RateLimited(10, 'send-cap'), 'send-cap'],
    ['a captcha demand', new CaptchaRequired(), 'captcha-required'],
    ['a closed challenge', new ChallengeClosed(), 'challenge-closed'],
    [
      'an SMS refused while the captcha verifier is down (503, yet a refusal)',
      refusedBy(new ServiceUnavailable(), 'captcha-unavailable'),
      'captcha-unavailable',
    ],
  ])('counts and audits %s', async (_, error, rule) => {
    // Prepare
    const email = uniqueEmail('refusal');
    const { deps, counted } = refusalDeps();

    // Act
    await recordRefusal(deps, refusal(error, email));

    // Assess
    expect(counted).toEqual([rule]);
    expect(await trail(email)).toEqual([
      expect.objectContaining({ action: 'refused', rule, network: '2001:db8:1::/48', requestId: 'req-1' }),
    ]);
  });

  it.each([
    ['an outage', new ServiceUnavailable()],
    ['a delivery failure', new DeliveryFailed()],
    ['bad input', new InvalidRequest('identifier', 'nope')],
    ['a crash', new Error('boom')],
  ])('neither counts nor audits %s', async (_, error) => {
    // Prepare
    const email = uniqueEmail('notrefusal');
    const { deps, counted } = refusalDeps();

    // Act
    await recordRefusal(deps, refusal(error, email));

    // Assess
    expect(counted).toEqual([]);
    expect(await trail(email)).toEqual([]);
  });

  it('counts a resend of no known challenge without an audit record', async () => {
    // Prepare
    const { deps, counted, warnings } = refusalDeps('NoTableAtAll');

    // Act
    await recordRefusal(deps, refusal(new ChallengeClosed(), undefined));

    // Assess: no write was even tried
    expect(counted).toEqual(['challenge-closed']);
    expect(warnings).toEqual([]);
  });

  it('a failed audit write is counted and warned about, and never thrown', async () => {
    // Prepare
    const { deps, counted, warnings } = refusalDeps('NoTableAtAll');

    // Act
    const act = recordRefusal(deps, refusal(new IdentifierRejected(), uniqueEmail('lost')));

    // Assess
    await expect(act).resolves.toBeUndefined();
    expect(counted).toEqual(['identifier-rejected']);
    expect(warnings).toEqual(['ResourceNotFoundException']);
  });

  it('keeps two records of one subject written in the same millisecond', async () => {
    // Prepare
    const email = uniqueEmail('twice');
    const { deps } = refusalDeps();

    // Act
    await Promise.all([
      recordRefusal(deps, refusal(new IdentifierRejected(), email)),
      recordRefusal(deps, refusal(new IdentifierRejected(), email)),
    ]);

    // Assess
    expect(await trail(email)).toHaveLength(2);
  });
});

describe('auditSubject', () => {
  it('is keyed: another key gives another reference, so a phone number cannot be found by hashing it', async () => {
    // Prepare
    const phone = normalizeIdentifier('+14155550123');

    // Act
    const one = await auditSubject(AUDIT_KEY, phone);
    const other = await auditSubject(async () => 'another-audit-key'.padEnd(40, 'x'), phone);

    // Assess
    expect(one).toMatch(/^id#/);
    expect(one).not.toBe(other);
    expect(one).not.toContain('4155550123');
  });
});
