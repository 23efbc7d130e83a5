import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { generateId, generateToken, hashToken } from '../../layers/core/src/secrets.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import { ManualClock, stores, TABLES } from '../support/core-fixtures.ts';
import { uniqueEmail } from '../support/stack.ts';

const { db, users, sessions, counters, denylist } = stores();
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
  const open = async (now: number, lifetimeMs = 30 * DAY_MS) => {
    const sessionId = generateId(systemRandom, 'ses');
    const token = generateToken(systemRandom);
    const session = {
      sessionId,
      userId: 'usr_1',
      identifierKey: 'email#ada@example.com',
      createdAt: now,
      absoluteExpiresAt: now + lifetimeMs,
    };
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
    await expect(rotate(token, generateToken(systemRandom), now + 60_000)).resolves.toEqual({
      outcome: 'reused',
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

  it('writes no session item until the session is revoked (one write per sign-in)', async () => {
    const now = Date.now();
    const { session } = await open(now);
    const marker = await db.send(
      new GetCommand({ TableName: TABLES.sessions, Key: { pk: `session#${session.sessionId}` } }),
    );
    expect(marker.Item).toBeUndefined();
  });

  it('ends the session on logout', async () => {
    const now = Date.now();
    const { token } = await open(now);
    await sessions.revokeByRefreshToken(hashToken(token), now);
    await expect(rotate(token, generateToken(systemRandom), now + 1000)).resolves.toEqual({
      outcome: 'invalid',
    });
  });
});

describe('rate-limit counters', () => {
  const only = (limit: number) => [{ name: 'n', limit }];

  it('allows exactly the limit out of 30 parallel hits in one window', async () => {
    const key = `id#${uniqueEmail('counter')}`;
    const now = Date.now();
    const hits = await Promise.all(Array.from({ length: 30 }, () => counters.hit(key, only(10), 3600, now)));
    expect(hits.filter((hit) => hit.allowed)).toHaveLength(10);
    const denied = hits.find((hit) => !hit.allowed);
    expect(denied?.retryAfterMs).toBeGreaterThan(0);
    expect(denied?.retryAfterMs).toBeLessThanOrEqual(3_600_000);
  });

  it('holds a network total and each IP in it to their limits with one write, under concurrency', async () => {
    const key = `net#${uniqueEmail('net')}`;
    const now = Date.now();
    const hitFrom = (ip: string) =>
      counters.hit(
        key,
        [
          { name: 'n', limit: 12 },
          { name: `ip_${ip}`, limit: 5 },
        ],
        3600,
        now,
      );
    const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    const hits = await Promise.all(
      ips.flatMap((ip) => Array.from({ length: 10 }, () => hitFrom(ip).then((hit) => ({ ip, hit })))),
    );
    const allowed = hits.filter(({ hit }) => hit.allowed);
    expect(allowed).toHaveLength(12);
    for (const ip of ips) expect(allowed.filter((a) => a.ip === ip).length).toBeLessThanOrEqual(5);
  });

  it('starts afresh in the next window', async () => {
    const key = `id#${uniqueEmail('counter')}`;
    const start = Math.floor(Date.now() / 60_000) * 60_000;
    await counters.hit(key, only(1), 60, start);
    await expect(counters.hit(key, only(1), 60, start + 1)).resolves.toMatchObject({ allowed: false });
    await expect(counters.hit(key, only(1), 60, start + 60_000)).resolves.toMatchObject({ allowed: true });
  });
});

describe('denylist', () => {
  it('finds a denied key and ignores an expired temporary block', async () => {
    const clock = new ManualClock();
    const blocked = `email#${uniqueEmail('blocked')}`;
    const expired = `email#${uniqueEmail('expired')}`;
    await db.send(new PutCommand({ TableName: TABLES.denylist, Item: { pk: blocked } }));
    await db.send(
      new PutCommand({ TableName: TABLES.denylist, Item: { pk: expired, expiresAt: clock.now() - 1 } }),
    );
    const store = denylist(clock);
    await expect(store.findDenied([expired, blocked])).resolves.toBe(blocked);
    await expect(store.findDenied([expired, 'domain#example.org'])).resolves.toBeUndefined();
  });
});
