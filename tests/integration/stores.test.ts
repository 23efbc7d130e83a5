import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { ServiceUnavailable } from '../../layers/core/src/errors.ts';
import { generateId, generateToken, hashToken } from '../../layers/core/src/secrets.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import { ManualClock, stores, TABLES } from '../support/core-fixtures.ts';
import { uniqueEmail } from '../support/stack.ts';

const { db, users, sessions, denylist, devices } = stores();
const DAY_MS = 86_400_000;

describe('users', () => {
  it('creates one user for parallel first sign-ins of the same identifier', async () => {
    const key = `email#${uniqueEmail('user')}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => users.recordLogin(key, generateId(systemRandom, 'usr'), Date.now())),
    );
    expect(new Set(results.map((user) => user.userId)).size).toBe(1);
  });

  it('keeps the user id and creation time on later sign-ins', async () => {
    const key = `email#${uniqueEmail('user')}`;
    const first = await users.recordLogin(key, 'usr_first', 1000);
    const later = await users.recordLogin(key, 'usr_second', 2000);
    expect(later).toEqual(first);
  });
});

describe('sessions and refresh-token rotation', () => {
  const open = async (
    now: number,
    lifetimeMs = 30 * DAY_MS,
    identifierKey = 'email#ada@example.com',
    userId = 'usr_1',
  ) => {
    const sessionId = generateId(systemRandom, 'ses');
    const token = generateToken(systemRandom);
    const session = {
      sessionId,
      userId,
      identifierKey,
      createdAt: now,
      absoluteExpiresAt: now + lifetimeMs,
      method: 'otp',
      network: '192.0.2.0/24',
    } as const;
    await sessions.createSession(session, hashToken(token), now + 7 * DAY_MS);
    return { session, token };
  };
  const rotate = (token: string, next: string, now: number) =>
    sessions.rotateRefreshToken({
      oldTokenHash: hashToken(token),
      newTokenHash: hashToken(next),
      now,
      idleSeconds: 7 * 86_400,
    });

  it('rotates a token once; the rotated token no longer works', async () => {
    const now = Date.now();
    const { token } = await open(now);
    const next = generateToken(systemRandom);
    await expect(rotate(token, next, now + 1000)).resolves.toMatchObject({ outcome: 'rotated' });
    await expect(rotate(token, generateToken(systemRandom), now + 2000)).resolves.toEqual({
      outcome: 'invalid',
    });
  });

  it('lets exactly one of 20 parallel rotations of one token succeed', async () => {
    const now = Date.now();
    const { token } = await open(now);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => rotate(token, generateToken(systemRandom), now + 1000)),
    );
    expect(results.filter((result) => result.outcome === 'rotated')).toHaveLength(1);
  });

  it('revokes the whole family when a rotated token is replayed after the grace window', async () => {
    const now = Date.now();
    const { token } = await open(now);
    const next = generateToken(systemRandom);
    await rotate(token, next, now + 1000);
    await expect(rotate(token, generateToken(systemRandom), now + 60_000)).resolves.toMatchObject({
      outcome: 'reused',
      ended: true,
    });
    await expect(rotate(token, generateToken(systemRandom), now + 60_500)).resolves.toMatchObject({
      outcome: 'reused',
      ended: false,
    });
    await expect(rotate(next, generateToken(systemRandom), now + 61_000)).resolves.toEqual({
      outcome: 'invalid',
    });
  });

  it('refuses a token past its idle lifetime', async () => {
    const now = Date.now();
    const idle = await open(now);
    await expect(rotate(idle.token, generateToken(systemRandom), now + 8 * DAY_MS)).resolves.toEqual({
      outcome: 'invalid',
    });
  });

  it('refuses a session past its absolute lifetime, however recently it was refreshed', async () => {
    const now = Date.now();
    const { token } = await open(now, 60_000);
    const next = generateToken(systemRandom);
    await expect(rotate(token, next, now + 30_000)).resolves.toMatchObject({ outcome: 'rotated' });
    await expect(rotate(next, generateToken(systemRandom), now + 61_000)).resolves.toEqual({
      outcome: 'invalid',
    });
  });

  it("writes the first refresh token and the session's summary, and no marker", async () => {
    const now = Date.now();
    const { session } = await open(now);
    const marker = await db.send(
      new GetCommand({ TableName: TABLES.sessions, Key: { pk: `session#${session.sessionId}` } }),
    );
    expect(marker.Item).toBeUndefined();
    await expect(sessions.findSession(session.userId, session.sessionId)).resolves.toEqual({
      ...session,
      lastSeenAt: now,
    });
  });

  it('records the last refresh as last seen', async () => {
    const now = Date.now();
    const { session, token } = await open(now);
    await rotate(token, generateToken(systemRandom), now + 5000);
    await expect(sessions.findSession(session.userId, session.sessionId)).resolves.toMatchObject({
      lastSeenAt: now + 5000,
    });
  });

  it("lists a user's live sessions only: not ended, not past their absolute expiry, not someone else's", async () => {
    const now = Date.now();
    const userId = generateId(systemRandom, 'usr');
    const live = await open(now, 30 * DAY_MS, 'email#list@example.com', userId);
    const ended = await open(now, 30 * DAY_MS, 'email#list@example.com', userId);
    await open(now - 2 * DAY_MS, DAY_MS, 'email#list@example.com', userId);
    await open(now, 30 * DAY_MS, 'email#other@example.com', generateId(systemRandom, 'usr'));
    await sessions.endSession(userId, ended.session.sessionId, now, 'user');
    const listed = await sessions.listSessions(userId, now);
    expect(listed.map((session) => session.sessionId)).toEqual([live.session.sessionId]);
  });

  it('ends a session for exactly one of 20 parallel calls, after which its tokens no longer rotate', async () => {
    const now = Date.now();
    const { session, token } = await open(now);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => sessions.endSession(session.userId, session.sessionId, now, 'user')),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(sessions.findSession(session.userId, session.sessionId)).resolves.toMatchObject({
      revokedAt: now,
      endedBy: 'user',
    });
    await expect(rotate(token, generateToken(systemRandom), now + 1000)).resolves.toEqual({
      outcome: 'invalid',
    });
  });

  it('opens no session on a device revoked after the sign-in recognised it', async () => {
    // Prepare
    const now = Date.now();
    const userId = generateId(systemRandom, 'usr');
    const device = {
      deviceId: generateId(systemRandom, 'dev'),
      userId,
      attributes: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' },
      createdAt: now,
      lastSeenAt: now,
      lastNetwork: '192.0.2.0/24',
    };
    await devices.create(device);
    const opening = (sessionId: string) =>
      ({
        sessionId,
        userId,
        identifierKey: 'email#bound@example.com',
        createdAt: now,
        absoluteExpiresAt: now + DAY_MS,
        method: 'otp',
        network: '192.0.2.0/24',
        deviceId: device.deviceId,
      }) as const;
    await sessions.createSession(opening('ses_before'), hashToken(generateToken(systemRandom)), now + DAY_MS);

    // Act
    await devices.revoke(userId, device.deviceId, now);
    const after = sessions.createSession(
      opening('ses_after'),
      hashToken(generateToken(systemRandom)),
      now + DAY_MS,
    );

    // Assess
    await expect(after).rejects.toBeInstanceOf(ServiceUnavailable);
    await expect(sessions.findSession(userId, 'ses_after')).resolves.toBeUndefined();
    await expect(sessions.findSession(userId, 'ses_before')).resolves.toMatchObject({
      deviceId: device.deviceId,
    });
  });

  it('ends nothing for an unknown session', async () => {
    await expect(sessions.endSession('usr_nobody', 'ses_nothing', Date.now(), 'user')).resolves.toBe(false);
    await expect(sessions.findSession('usr_nobody', 'ses_nothing')).resolves.toBeUndefined();
  });

  it('marks the family ended by reuse when a rotated token is replayed', async () => {
    const now = Date.now();
    const { session, token } = await open(now);
    await rotate(token, generateToken(systemRandom), now + 1000);
    await rotate(token, generateToken(systemRandom), now + 60_000);
    await expect(sessions.findSession(session.userId, session.sessionId)).resolves.toMatchObject({
      endedBy: 'reuse',
    });
  });

  it("with the user's id, ends each session opened before the call, so the authorizer sees it", async () => {
    const now = Date.now();
    const userId = generateId(systemRandom, 'usr');
    const identifierKey = `email#${uniqueEmail('end-each')}`;
    const before = await open(now, 30 * DAY_MS, identifierKey, userId);
    await sessions.revokeAll(identifierKey, now + 1000, userId);
    const after = await open(now + 2000, 30 * DAY_MS, identifierKey, userId);
    await expect(sessions.findSession(userId, before.session.sessionId)).resolves.toMatchObject({
      endedBy: 'operator',
    });
    await expect(sessions.findSession(userId, after.session.sessionId)).resolves.not.toHaveProperty(
      'revokedAt',
    );
  });

  it("ends every session of an identifier at once, and none opened after it or someone else's", async () => {
    const now = Date.now();
    const identifierKey = `email#${uniqueEmail('end-all')}`;
    const phone = await open(now, 30 * DAY_MS, identifierKey);
    const laptop = await open(now + 1000, 30 * DAY_MS, identifierKey);
    const someoneElse = await open(now, 30 * DAY_MS, `email#${uniqueEmail('bystander')}`);
    await sessions.revokeAll(identifierKey, now + 2000);
    const later = await open(now + 3000, 30 * DAY_MS, identifierKey);
    for (const ended of [phone, laptop]) {
      await expect(rotate(ended.token, generateToken(systemRandom), now + 4000)).resolves.toEqual({
        outcome: 'invalid',
      });
    }
    for (const alive of [later, someoneElse]) {
      await expect(rotate(alive.token, generateToken(systemRandom), now + 4000)).resolves.toMatchObject({
        outcome: 'rotated',
      });
    }
  });

  it('never moves an end of all sessions backwards', async () => {
    const now = Date.now();
    const identifierKey = `email#${uniqueEmail('forward')}`;
    const session = await open(now, 30 * DAY_MS, identifierKey);
    await sessions.revokeAll(identifierKey, now + 2000);
    await sessions.revokeAll(identifierKey, now - 1000);
    await expect(rotate(session.token, generateToken(systemRandom), now + 3000)).resolves.toEqual({
      outcome: 'invalid',
    });
  });

  it('ends the session on logout, and tells whose it was and whether this logout ended it', async () => {
    const now = Date.now();
    const { session, token } = await open(now);
    await expect(sessions.revokeByRefreshToken(hashToken(token), now)).resolves.toMatchObject({
      session: { sessionId: session.sessionId, identifierKey: session.identifierKey, endedBy: 'logout' },
      ended: true,
    });
    await expect(sessions.revokeByRefreshToken(hashToken(token), now + 500)).resolves.toMatchObject({
      ended: false,
    });
    await expect(rotate(token, generateToken(systemRandom), now + 1000)).resolves.toEqual({
      outcome: 'invalid',
    });
  });
});

describe('denylist', () => {
  it('finds a denied key and ignores an expired temporary block', async () => {
    const clock = new ManualClock();
    const blocked = `email#${uniqueEmail('blocked')}`;
    const expired = `email#${uniqueEmail('expired')}`;
    await db.send(
      new PutCommand({
        TableName: TABLES.denylist,
        Item: { pk: blocked, reason: 'bounce', source: 'aws.ses:e1/f1', deniedAt: 1 },
      }),
    );
    await db.send(
      new PutCommand({ TableName: TABLES.denylist, Item: { pk: expired, expiresAt: clock.now() - 1 } }),
    );
    const store = denylist(clock);
    await expect(store.standing([expired, blocked])).resolves.toEqual([
      { key: blocked, reason: 'bounce', source: 'aws.ses:e1/f1', deniedAt: 1 },
    ]);
    await expect(store.standing([expired, 'domain#example.org'])).resolves.toEqual([]);
  });
});
