/**
 * Abuse controls an attacker cannot turn against others, tried against the local runtime from
 * several source addresses (the runtime sees each socket's address: 127.0.0.x and 127.1.0.x stand
 * in for clients on other networks).
 */

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { budgetsFor } from '../../layers/core/src/rate-limits.ts';
import { GENEROUS_BUDGETS, stores, TABLES } from '../support/core-fixtures.ts';
import { client } from '../support/http.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

// A window no other spec file uses, so that their starts never share the global budget's item.
const WINDOW_SECONDS = 3599;
const PER_IP = 5;

const suite = runtimeForSuite({
  RateLimitWindowSeconds: String(WINDOW_SECONDS),
  RateLimitPerIp: String(PER_IP),
  RateLimitGlobal: '30',
});

const from = (address: string) => client(suite.runtime.url, address);
const statuses = (replies: { status: number }[]) => replies.map((reply) => reply.status);

describe('budgets count only admitted starts', () => {
  it('lets a new address start, for a new identifier and for the one attacked, after another spent its budget and kept going', async () => {
    const attacker = from('127.0.0.2');
    const victim = uniqueEmail('victim');
    for (let i = 0; i < PER_IP; i++) expect((await attacker.start(uniqueEmail('own'))).status).toBe(202);
    const refused = await Promise.all(Array.from({ length: 50 }, () => attacker.start(victim)));
    expect(new Set(statuses(refused))).toEqual(new Set([429]));

    const newcomer = from('127.1.0.2');
    expect((await newcomer.start(uniqueEmail('new'))).status).toBe(202);
    expect((await newcomer.start(victim)).status).toBe(202);
  });

  it('leaves every budget as it was after 10 parallel resends in the cool-down', async () => {
    const user = from('127.0.0.3');
    const email = uniqueEmail('resend');
    const started = await user.start(email);
    expect(started.status).toBe(202);
    const { counters } = stores();
    const config = { ...GENEROUS_BUDGETS, windowSeconds: WINDOW_SECONDS };
    const budgets = budgetsFor(config, normalizeIdentifier(email), { ip: '127.0.0.3' });
    const spent = () => counters.peek(budgets, WINDOW_SECONDS, Date.now());
    const before = await spent();
    const resends = await Promise.all(
      Array.from({ length: 10 }, () =>
        user.post('/v1/auth/resend', { challengeId: started.body.challengeId }),
      ),
    );
    expect(new Set(statuses(resends))).toEqual(new Set([429]));
    expect(await spent()).toEqual(before);
  });
});

describe('the lockout', () => {
  it('after 150 wrong codes from one address, lets the identifier sign in from another /16, and keeps the attacker blocked', async () => {
    const attacker = from('127.0.0.4');
    const victim = uniqueEmail('guessed');
    const challenges = [];
    for (let i = 0; i < PER_IP; i++) challenges.push((await attacker.start(victim)).body.challengeId);
    const guesses = [];
    for (let i = 0; i < 150; i++) guesses.push(await attacker.verify(challenges[i % PER_IP], '000000'));
    expect(statuses(guesses).filter((status) => status === 401)).toHaveLength(10);
    expect(statuses(guesses).filter((status) => status === 429)).toHaveLength(140);
    expect(Number(guesses.at(-1)?.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(guesses.at(-1)?.body.detail).toContain('Too many wrong codes');

    const owner = from('127.1.0.4');
    const started = await owner.start(victim);
    expect(started.status).toBe(202);
    const code = await owner.latestCode(victim);
    expect((await attacker.verify(started.body.challengeId, code)).status).toBe(429);
    expect((await owner.verify(started.body.challengeId, code)).status).toBe(200);
    expect((await attacker.start(victim)).status).toBe(429);

    // A challenge the attacker opened before the block, past its cool-down, resends to no one.
    await documentClient().send(
      new UpdateCommand({
        TableName: TABLES.challenges,
        Key: { pk: challenges[0] },
        UpdateExpression: 'SET lastSentAt = :zero',
        ExpressionAttributeValues: { ':zero': 0 },
      }),
    );
    const resent = await attacker.post('/v1/auth/resend', { challengeId: challenges[0] });
    expect(resent.status).toBe(429);
    expect(resent.body.detail).toContain('Too many wrong codes');
  });

  it('tells the person once, by email, when the block starts', async () => {
    const attacker = from('127.0.0.5');
    const victim = uniqueEmail('told');
    const challenges = [];
    for (let i = 0; i < 3; i++) challenges.push((await attacker.start(victim)).body.challengeId);
    for (let i = 0; i < 15; i++) await attacker.verify(challenges[i % 3], '000000');
    const { body } = await attacker.get(`/_local/messages?to=${encodeURIComponent(victim)}`);
    const notices = (body.messages as { subject: string }[]).filter((message) =>
      message.subject.startsWith('Failed AuthKit sign-in attempts'),
    );
    expect(notices).toHaveLength(1);
  });
});
