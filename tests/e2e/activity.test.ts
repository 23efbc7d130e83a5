/**
 * GET /v1/me/activity through `npm start`'s runtime: a person reads their own trail, newest first, a
 * page at a time, behind AuthKit's authorizer; and what the route refuses, fed to its function as
 * API Gateway hands it a caller the authorizer let through (events/api/activity.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { DynamoAuditLog } from '../../layers/core/src/adapters/index.ts';
import { auditSubject } from '../../layers/core/src/audit.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { hashToken } from '../../layers/core/src/secrets.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { TABLES } from '../support/core-fixtures.ts';
import type { Reply } from '../support/http.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();

type Tokens = { accessToken: string; refreshToken: string };
type Item = { at: string; action: string; sessionId?: string; network?: string };
type Page = { items: Item[]; nextCursor?: string };

const signIn = async (email: string) => {
  const reply = await suite.http.signIn(email);
  expect(reply.status).toBe(200);
  return reply.body as unknown as Tokens;
};
const activity = (tokens: Tokens, query = '') =>
  suite.http.call('GET', `/v1/me/activity${query}`, undefined, {
    authorization: `Bearer ${tokens.accessToken}`,
  });
const sessionIdOf = (tokens: Tokens) =>
  JSON.parse(Buffer.from(tokens.accessToken.split('.')[1] as string, 'base64url').toString()).sid as string;

/** The refresh token was rotated a minute ago: past the grace two tabs refreshing at once get. */
const rotatedAMinuteAgo = (refreshToken: string) =>
  documentClient().send(
    new UpdateCommand({
      TableName: TABLES.sessions,
      Key: { pk: `refresh#${hashToken(refreshToken)}` },
      UpdateExpression: 'SET rotatedAt = :minuteAgo',
      ExpressionAttributeValues: { ':minuteAgo': Date.now() - 60_000 },
    }),
  );

describe('GET /v1/me/activity', () => {
  it('shows sign-ins, a refresh reuse and a logout, newest first, a page at a time', async () => {
    // Prepare
    const email = uniqueEmail('activity');
    const stolen = await signIn(email);
    expect((await suite.http.refresh(stolen.refreshToken)).status).toBe(200);
    await rotatedAMinuteAgo(stolen.refreshToken);
    expect((await suite.http.refresh(stolen.refreshToken)).status).toBe(401);
    const elsewhere = await signIn(email);
    expect((await suite.http.post('/v1/auth/logout', { refreshToken: elsewhere.refreshToken })).status).toBe(
      204,
    );
    const reader = await signIn(email);

    // Act
    const pages: Page[] = [];
    let cursor: string | undefined;
    do {
      const reply = await activity(reader, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(reply.status).toBe(200);
      pages.push(reply.body as Page);
      cursor = (reply.body as Page).nextCursor;
    } while (cursor);

    // Assess
    const items = pages.flatMap((page) => page.items);
    expect(pages.map((page) => page.items.length)).toEqual([2, 2, 1]);
    expect(items.map((item) => [item.action, item.sessionId])).toEqual([
      ['signed-in', sessionIdOf(reader)],
      ['logged-out', sessionIdOf(elsewhere)],
      ['signed-in', sessionIdOf(elsewhere)],
      ['refresh-reused', sessionIdOf(stolen)],
      ['signed-in', sessionIdOf(stolen)],
    ]);
    const times = items.map((item) => Date.parse(item.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(items.every((item) => item.network === '127.0.0.0/24')).toBe(true);
    expect(JSON.stringify(items)).not.toMatch(/requestId|id#/);
    expect(JSON.stringify(items)).not.toContain(email);
  });

  it("shows one account nothing of another's, whatever cursor it brings", async () => {
    // Prepare: their cursor points after their newest record, which is newer than mine
    const mine = await signIn(uniqueEmail('activity-mine'));
    const theirEmail = uniqueEmail('activity-theirs');
    await signIn(theirEmail);
    const theirs = await signIn(theirEmail);
    const theirPage = (await activity(theirs, '?limit=1')).body as Page;

    // Act
    const reply = await activity(mine, `?cursor=${theirPage.nextCursor}`);

    // Assess: from that moment on, my own trail
    expect(reply.status).toBe(200);
    expect((reply.body as Page).items.map((item) => item.sessionId)).toEqual([sessionIdOf(mine)]);
  });

  it('answers 401 without an access token', async () => {
    // Act
    const reply = await suite.http.get('/v1/me/activity');

    // Assess
    expect(reply.status).toBe(401);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe("GET /v1/me/activity's function, as API Gateway hands it the authorizer's caller", () => {
  const sample = JSON.parse(readFileSync(join(REPO_ROOT, 'events/api/activity.json'), 'utf8'));
  const invoke = async (change: (event: typeof sample) => void): Promise<Reply> => {
    const event = structuredClone(sample);
    change(event);
    const result = (await suite.runtime.lambda.invoke('ActivityFunction', event)) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };
    return { status: result.statusCode, headers: new Headers(result.headers), body: JSON.parse(result.body) };
  };

  it.each([
    ['0', 'limit'],
    ['101', 'limit'],
    ['ten', 'limit'],
    ['2.5', 'limit'],
    ['-1', 'limit'],
    ['', 'limit'],
  ])('refuses limit=%p with 400 naming %s', async (limit, field) => {
    // Act
    const reply = await invoke((event) => {
      event.queryStringParameters = { limit };
    });

    // Assess
    expect(reply).toMatchObject({ status: 400, body: { code: 'invalid_request', field } });
  });

  it.each([
    ['a cursor it never gave', { cursor: 'not-a-cursor' }, 'cursor'],
    ['a very long cursor', { cursor: 'x'.repeat(500) }, 'cursor'],
    ['a subject of its own choosing', { subject: 'id#someone' }, 'subject'],
  ])('refuses %s with 400 naming it', async (_, query, field) => {
    // Act
    const reply = await invoke((event) => {
      event.queryStringParameters = query;
    });

    // Assess
    expect(reply).toMatchObject({ status: 400, body: { code: 'invalid_request', field } });
  });

  it('reads 25 records by default and 100 at most', async () => {
    // Prepare: 30 records in one person's trail
    const email = uniqueEmail('activity-many');
    const auditKey = async () => suite.runtime.secrets.find('AuditKeySecret')?.value ?? '';
    const subject = await auditSubject(auditKey, normalizeIdentifier(email));
    const log = new DynamoAuditLog(documentClient(), TABLES.audit, 1);
    for (let i = 0; i < 30; i++) {
      await log.record({ subject, at: Date.now() - i * 1000, action: 'signed-in', facts: { method: 'otp' } });
    }
    const asThem = (query: Record<string, string> | null) => (event: typeof sample) => {
      event.requestContext.authorizer.identifierKey = `email#${email}`;
      event.queryStringParameters = query;
    };

    // Act
    const [byDefault, atMost] = await Promise.all([invoke(asThem(null)), invoke(asThem({ limit: '100' }))]);

    // Assess
    expect(byDefault.status).toBe(200);
    expect((byDefault.body as Page).items).toHaveLength(25);
    expect((byDefault.body as Page).nextCursor).toEqual(expect.any(String));
    expect((atMost.body as Page).items).toHaveLength(30);
    expect((atMost.body as Page).nextCursor).toBeUndefined();
  });

  it('answers 401 when no authorizer ran before it', async () => {
    // Act
    const reply = await invoke((event) => {
      event.requestContext.authorizer = null;
    });

    // Assess
    expect(reply).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
  });
});
