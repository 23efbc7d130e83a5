/**
 * The tokens AuthKit issues: their headers, claims and lifetimes, and refresh-token rotation. How a
 * verifier treats forged tokens (alg none, algorithm confusion, another key) is the verifier's
 * behaviour, not AuthKit's, and is not specified here.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import type { AccountAuditDeps } from '../../layers/core/src/audit.ts';
import type { Config } from '../../layers/core/src/config.ts';
import { InvalidGrant } from '../../layers/core/src/errors.ts';
import type {
  Clock,
  Random,
  RotateResult,
  SessionEndReason,
  SessionRecord,
  SessionStore,
  SessionSummary,
  User,
} from '../../layers/core/src/ports.ts';
import { hashToken } from '../../layers/core/src/secrets.ts';
import { deriveKeyRing, deriveSigningKey } from '../../layers/core/src/signing-key.ts';
import { refreshSession, startSession, type TokenDeps } from '../../layers/core/src/tokens.ts';

const SEED = 'unit-test-signing-seed-'.padEnd(48, 's');
const OTHER_SEED = 'unit-test-signing-seed-'.padEnd(48, 't');
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const DAY = 86_400;
const OPENING = { method: 'otp', network: '192.0.2.0/24' } as const;

const TOKEN_CONFIG: Config['tokens'] = {
  issuer: 'https://auth.example.com',
  audience: 'example-api',
  idTokenAudience: 'example-app',
  accessTtlSeconds: 900,
  refreshIdleSeconds: 7 * DAY,
  refreshAbsoluteSeconds: 30 * DAY,
};

const ADA: User = { userId: 'usr_ada', identifierKey: 'email#ada@example.com', createdAt: NOW - DAY };
const GRACE: User = { userId: 'usr_grace', identifierKey: 'phone#+14155550123', createdAt: NOW - DAY };

/** A clock that stands still until told to move. */
class FixedClock implements Clock {
  #time: number;
  constructor(time: number) {
    this.#time = time;
  }
  now(): number {
    return this.#time;
  }
  advance(seconds: number): void {
    this.#time += seconds * 1000;
  }
}

/** Deterministic but never repeating: each draw is the next block of a SHA-256 counter stream. */
class CounterRandom implements Random {
  #counter = 0;
  int(maxExclusive: number): number {
    return this.bytes(6).readUIntBE(0, 6) % maxExclusive;
  }
  bytes(length: number): Buffer {
    const blocks: Buffer[] = [];
    while (blocks.length * 32 < length) {
      blocks.push(
        createHash('sha256')
          .update(`random-${this.#counter++}`)
          .digest(),
      );
    }
    return Buffer.concat(blocks).subarray(0, length);
  }
}

/** Rotation semantics only: active → rotated; presenting a rotated token is reuse and ends the family. */
class InMemorySessionStore implements SessionStore {
  readonly sessions = new Map<string, SessionSummary>();
  readonly tokens = new Map<string, { sessionId: string; state: 'active' | 'rotated'; expiresAt: number }>();

  async createSession(
    session: SessionRecord,
    refreshTokenHash: string,
    refreshExpiresAt: number,
  ): Promise<void> {
    this.sessions.set(session.sessionId, { ...session, lastSeenAt: session.createdAt });
    this.tokens.set(refreshTokenHash, {
      sessionId: session.sessionId,
      state: 'active',
      expiresAt: refreshExpiresAt,
    });
  }

  async rotateRefreshToken(input: {
    oldTokenHash: string;
    newTokenHash: string;
    now: number;
    idleSeconds: number;
  }): Promise<RotateResult> {
    const token = this.tokens.get(input.oldTokenHash);
    const session = token && this.sessions.get(token.sessionId);
    if (!token || !session || session.revokedAt !== undefined || token.expiresAt <= input.now) {
      return { outcome: 'invalid' };
    }
    if (token.state === 'rotated') {
      session.revokedAt = input.now;
      const { lastSeenAt: _, revokedAt: __, ...record } = session;
      return { outcome: 'reused', session: record, ended: true };
    }
    token.state = 'rotated';
    this.tokens.set(input.newTokenHash, {
      sessionId: session.sessionId,
      state: 'active',
      expiresAt: Math.min(input.now + input.idleSeconds * 1000, session.absoluteExpiresAt),
    });
    const { lastSeenAt: _, revokedAt: __, ...record } = session;
    return { outcome: 'rotated', session: record };
  }

  async revokeByRefreshToken(
    tokenHash: string,
    now: number,
  ): Promise<{ session: SessionSummary; ended: boolean } | undefined> {
    const token = this.tokens.get(tokenHash);
    const session = token && this.sessions.get(token.sessionId);
    if (!session) return undefined;
    const ended = session.revokedAt === undefined;
    session.revokedAt ??= now;
    return { session, ended };
  }

  async revokeAll(identifierKey: string, now: number): Promise<void> {
    for (const session of this.sessions.values()) {
      if (session.identifierKey === identifierKey && session.createdAt <= now) session.revokedAt ??= now;
    }
  }

  async findSession(_userId: string, sessionId: string): Promise<SessionSummary | undefined> {
    return this.sessions.get(sessionId);
  }

  async listSessions(userId: string): Promise<SessionSummary[]> {
    return [...this.sessions.values()].filter((session) => session.userId === userId && !session.revokedAt);
  }

  async endSession(
    _userId: string,
    sessionId: string,
    now: number,
    reason: SessionEndReason,
  ): Promise<boolean> {
    const session = this.sessions.get(sessionId);
    if (!session || session.revokedAt !== undefined) return false;
    Object.assign(session, { revokedAt: now, endedBy: reason });
    return true;
  }
}

const signingKey = await deriveSigningKey(SEED);
const otherSigningKey = await deriveSigningKey(OTHER_SEED);

/** Where the specs' refreshes come from. */
const CONTEXT = { source: { ip: '192.0.2.7' }, requestId: 'req-unit' };

/** An audit trail kept in memory: what the token functions record is audit.ts's business. */
const auditDeps = (clock: Clock): AccountAuditDeps => ({
  audit: {
    record: async () => undefined,
    read: async () => ({ records: [], next: undefined }),
  },
  auditKey: async () => 'unit-test-audit-key'.padEnd(40, 'k'),
  clock,
  warn: () => undefined,
});

function tokenDeps(
  overrides: Partial<TokenDeps> = {},
): TokenDeps & { clock: FixedClock; audit: AccountAuditDeps } {
  const clock = new FixedClock(NOW);
  return {
    audit: auditDeps(clock),
    sessions: new InMemorySessionStore(),
    clock,
    random: new CounterRandom(),
    signingKey: async () => signingKey,
    config: TOKEN_CONFIG,
    ...overrides,
  } as TokenDeps & { clock: FixedClock; audit: AccountAuditDeps };
}

const { published } = await deriveKeyRing({ seed: SEED, generation: 1 });

/** A token as AuthKit issued it: its header and claims, once its signature checks against the keys JWKS publishes. */
async function issued(token: string): Promise<{ header: ProtectedHeaderParameters; claims: JWTPayload }> {
  await compactVerify(token, createLocalJWKSet({ keys: published }));
  return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
}

async function claimsOf(token: string): Promise<JWTPayload> {
  return (await issued(token)).claims;
}

describe('deriveSigningKey', () => {
  it('is deterministic per seed', async () => {
    // Act
    const again = await deriveSigningKey(SEED);

    // Assess
    expect(again.kid).toBe(signingKey.kid);
    expect(again.publicJwk).toEqual(signingKey.publicJwk);
  });

  it('differs across seeds', () => {
    // Assess
    expect(otherSigningKey.kid).not.toBe(signingKey.kid);
    expect(otherSigningKey.publicJwk.x).not.toBe(signingKey.publicJwk.x);
  });

  it('publishes an ES256 P-256 public JWK whose kid is its RFC 7638 thumbprint', async () => {
    // Prepare
    const { kty, crv, x, y } = signingKey.publicJwk;

    // Act
    const thumbprint = await calculateJwkThumbprint({ kty, crv, x, y });

    // Assess
    expect(signingKey.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: thumbprint });
    expect(signingKey.kid).toBe(thumbprint);
  });

  it('never puts the private scalar in the public JWK', () => {
    // Assess
    expect(signingKey.publicJwk).not.toHaveProperty('d');
    expect(JSON.stringify(signingKey.publicJwk)).not.toContain('"d"');
  });
});

describe('deriveKeyRing', () => {
  it('signs with generation n and publishes n and n + 1 before n + 1 ever signs', async () => {
    // Act
    const ring = await deriveKeyRing({ seed: SEED, generation: 1 });
    const next = await deriveSigningKey(SEED, 2);

    // Assess
    expect(ring.current.kid).toBe(signingKey.kid);
    expect(ring.published.map((jwk) => jwk.kid)).toEqual([signingKey.kid, next.kid]);
  });

  it('after a rotation, keeps publishing the previous key for the tokens it signed', async () => {
    // Prepare
    const before = await deriveKeyRing({ seed: SEED, generation: 1 });

    // Act
    const after = await deriveKeyRing({ seed: SEED, generation: 2 });

    // Assess
    expect(before.published.map((jwk) => jwk.kid)).toContain(after.current.kid);
    expect(after.published.map((jwk) => jwk.kid)).toContain(before.current.kid);
    expect(after.published).toHaveLength(3);
    expect(new Set(after.published.map((jwk) => jwk.kid)).size).toBe(3);
  });

  it('leaves out the generations below revokedBelow: a revoked previous key is published no more', async () => {
    // Prepare
    const previous = await deriveSigningKey(SEED, 2);

    // Act
    const revoked = await deriveKeyRing({ seed: SEED, generation: 3, revokedBelow: 3 });
    const kept = await deriveKeyRing({ seed: SEED, generation: 3, revokedBelow: 2 });

    // Assess
    expect(revoked.published.map((jwk) => jwk.kid)).toEqual([
      (await deriveSigningKey(SEED, 3)).kid,
      (await deriveSigningKey(SEED, 4)).kid,
    ]);
    expect(kept.published.map((jwk) => jwk.kid)).toContain(previous.kid);
  });
});

describe('startSession', () => {
  it('issues an ES256 access token (typ at+jwt) under the kid of a published key, for 15 minutes', async () => {
    // Prepare
    const deps = tokenDeps();

    // Act
    const tokens = await startSession(deps, ADA, OPENING);

    // Assess
    const { header, claims } = await issued(tokens.accessToken);
    expect(header).toEqual({ alg: 'ES256', kid: signingKey.kid, typ: 'at+jwt' });
    expect(published.map((jwk) => jwk.kid)).toContain(header.kid);
    expect(claims).toMatchObject({
      iss: TOKEN_CONFIG.issuer,
      aud: TOKEN_CONFIG.audience,
      sub: ADA.userId,
      iat: NOW / 1000,
      exp: NOW / 1000 + 900,
    });
    expect(claims.jti).toEqual(expect.any(String));
    expect(claims.sid).toMatch(/^ses_/);
  });

  it('issues an ID token for the same user and session, addressed to the app, never to the API', async () => {
    // Prepare
    const deps = tokenDeps();

    // Act
    const tokens = await startSession(deps, ADA, OPENING);

    // Assess
    const access = await claimsOf(tokens.accessToken);
    const { header, claims } = await issued(tokens.idToken);
    expect(header).toEqual({ alg: 'ES256', kid: signingKey.kid, typ: 'JWT' });
    expect(claims).toMatchObject({
      iss: TOKEN_CONFIG.issuer,
      aud: TOKEN_CONFIG.idTokenAudience,
      sub: ADA.userId,
      sid: access.sid,
      exp: (claims.iat ?? 0) + 900,
    });
    expect(claims.aud).not.toEqual(access.aud);
    expect(claims.jti).not.toBe(access.jti);
  });

  it.each<[string, User, Record<string, unknown>]>([
    ['an email', ADA, { email: 'ada@example.com', email_verified: true }],
    ['a phone number', GRACE, { phone_number: '+14155550123' }],
  ])('puts %s identifier in the ID token', async (_, user, identityClaims) => {
    // Prepare
    const deps = tokenDeps();

    // Act
    const tokens = await startSession(deps, user, OPENING);

    // Assess
    expect(await claimsOf(tokens.idToken)).toMatchObject(identityClaims);
    expect(tokens.user).toEqual({ id: user.userId, identifier: user.identifierKey.split('#')[1] });
  });

  it('keeps issuing tokens to a user whose address a later rule would refuse', async () => {
    // Prepare: `%` in a local part is refused today; this user signed up before that rule.
    const legacy: User = {
      userId: 'usr_legacy',
      identifierKey: 'email#ada%relay@example.com',
      createdAt: NOW - DAY,
    };

    // Act
    const tokens = await startSession(tokenDeps(), legacy, OPENING);

    // Assess
    expect(await claimsOf(tokens.idToken)).toMatchObject({ email: 'ada%relay@example.com' });
  });

  it('answers a Bearer token set with a 256-bit refresh token that is stored only as its hash', async () => {
    // Prepare
    const sessions = new InMemorySessionStore();
    const deps = tokenDeps({ sessions });

    // Act
    const tokens = await startSession(deps, ADA, OPENING);

    // Assess
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([...sessions.tokens.keys()]).toEqual([hashToken(tokens.refreshToken)]);
    expect(JSON.stringify([...sessions.tokens, ...sessions.sessions])).not.toContain(tokens.refreshToken);
  });

  it('gives the refresh token the idle lifetime', async () => {
    // Prepare
    const sessions = new InMemorySessionStore();

    // Act
    const tokens = await startSession(tokenDeps({ sessions }), ADA, OPENING);

    // Assess
    expect(sessions.tokens.get(hashToken(tokens.refreshToken))?.expiresAt).toBe(NOW + 7 * DAY * 1000);
    expect([...sessions.sessions.values()][0]?.absoluteExpiresAt).toBe(NOW + 30 * DAY * 1000);
  });
});

describe('refreshSession', () => {
  it('leaves the refresh token unspent when the signing key cannot be read', async () => {
    // Prepare
    const sessions = new InMemorySessionStore();
    const started = await startSession(tokenDeps({ sessions }), ADA, OPENING);
    const unreadable = tokenDeps({
      sessions,
      signingKey: () => Promise.reject(new Error('Secrets Manager unreachable')),
    });

    // Act
    await expect(refreshSession(unreadable, started.refreshToken, CONTEXT)).rejects.toThrow('unreachable');

    // Assess
    await expect(
      refreshSession(tokenDeps({ sessions }), started.refreshToken, CONTEXT),
    ).resolves.toMatchObject({
      tokenType: 'Bearer',
    });
  });

  it('rotates to a new 43-character refresh token every time', async () => {
    // Prepare
    const deps = tokenDeps();
    const first = await startSession(deps, ADA, OPENING);

    // Act
    deps.clock.advance(60);
    const second = await refreshSession(deps, first.refreshToken, CONTEXT);
    deps.clock.advance(60);
    const third = await refreshSession(deps, second.refreshToken, CONTEXT);

    // Assess
    const refreshTokens = [first.refreshToken, second.refreshToken, third.refreshToken];
    expect(new Set(refreshTokens).size).toBe(3);
    for (const token of refreshTokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('issues fresh tokens for the same user and session', async () => {
    // Prepare
    const deps = tokenDeps();
    const started = await startSession(deps, GRACE, OPENING);
    deps.clock.advance(600);

    // Act
    const refreshed = await refreshSession(deps, started.refreshToken, CONTEXT);

    // Assess
    const before = await claimsOf(started.accessToken);
    const after = await claimsOf(refreshed.accessToken);
    expect(after).toMatchObject({ sub: GRACE.userId, sid: before.sid, iat: NOW / 1000 + 600 });
    expect(after.exp).toBe((after.iat ?? 0) + 900);
    expect(after.jti).not.toBe(before.jti);
    expect(await claimsOf(refreshed.idToken)).toMatchObject({
      phone_number: '+14155550123',
    });
  });

  it('keeps auth_time at the original sign-in (OIDC Core 12.2)', async () => {
    // Prepare
    const deps = tokenDeps();
    const started = await startSession(deps, ADA, OPENING);
    deps.clock.advance(3600);

    // Act
    const refreshed = await refreshSession(deps, started.refreshToken, CONTEXT);

    // Assess
    const original = await claimsOf(started.idToken);
    const renewed = await claimsOf(refreshed.idToken);
    expect(original.auth_time).toBe(NOW / 1000);
    expect(renewed.auth_time).toBe(original.auth_time);
  });

  it('refuses an unknown refresh token with InvalidGrant', async () => {
    // Prepare
    const deps = tokenDeps();
    await startSession(deps, ADA, OPENING);

    // Act & Assess
    await expect(refreshSession(deps, 'A'.repeat(43), CONTEXT)).rejects.toBeInstanceOf(InvalidGrant);
  });

  it('refuses a rotated refresh token presented again with InvalidGrant', async () => {
    // Prepare
    const deps = tokenDeps();
    const started = await startSession(deps, ADA, OPENING);
    await refreshSession(deps, started.refreshToken, CONTEXT);

    // Act & Assess
    await expect(refreshSession(deps, started.refreshToken, CONTEXT)).rejects.toBeInstanceOf(InvalidGrant);
  });
});
