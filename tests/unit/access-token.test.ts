/**
 * What a protected route accepts (verifyAccessToken, the core of AuthKit's authorizer): an ES256
 * `at+jwt` for AuthKit's issuer and access audience, inside its lifetime give or take 30 s, signed by
 * a key of AuthKit's own ring that its `kid` names, for a session that is open. Every forgery here is
 * signed for real; each refusal is asserted with its reason, so a rule that stopped deciding shows.
 */
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, type JWTHeaderParameters, SignJWT } from 'jose';
import {
  ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS,
  type AccessTokenDeps,
  verifyAccessToken,
} from '../../layers/core/src/access-token.ts';
import type { Config } from '../../layers/core/src/config.ts';
import type { SessionSummary } from '../../layers/core/src/ports.ts';
import { deriveKeyRing, deriveSigningKey, type SigningKey } from '../../layers/core/src/signing-key.ts';

const SEED = 'unit-test-access-seed-'.padEnd(48, 'a');
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const NOW_S = NOW / 1000;
const DAY = 86_400;

const CONFIG: Config['tokens'] = {
  issuer: 'https://auth.example.com',
  audience: 'example-api',
  idTokenAudience: 'example-app',
  accessTtlSeconds: 900,
  refreshIdleSeconds: 7 * DAY,
  refreshAbsoluteSeconds: 30 * DAY,
};

// Generation 2 signs; the ring publishes 1 (previous), 2 and 3 (next).
const ring = await deriveKeyRing({ seed: SEED, generation: 2 });
const [previousKey, currentKey, nextKey] = (await Promise.all(
  [1, 2, 3].map((generation) => deriveSigningKey(SEED, generation)),
)) as [SigningKey, SigningKey, SigningKey];
const attacker = await generateKeyPair('ES256', { extractable: true });
const attackerJwk = await exportJWK(attacker.publicKey);

const OPEN: SessionSummary = {
  sessionId: 'ses_1',
  userId: 'usr_ada',
  identifierKey: 'email#ada@example.com',
  createdAt: NOW - DAY * 1000,
  absoluteExpiresAt: NOW + 29 * DAY * 1000,
  method: 'otp',
  network: '203.0.113.0/24',
  lastSeenAt: NOW - 60_000,
};

function deps(sessions: Record<string, SessionSummary> = { 'usr_ada/ses_1': OPEN }): AccessTokenDeps {
  return {
    keyRing: async () => ring,
    sessions: { findSession: async (userId, sessionId) => sessions[`${userId}/${sessionId}`] },
    clock: { now: () => NOW },
    config: CONFIG,
  };
}

const CLAIMS = {
  iss: CONFIG.issuer,
  aud: CONFIG.audience,
  sub: 'usr_ada',
  sid: 'ses_1',
  jti: 'jti1',
  token_use: 'access',
  iat: NOW_S - 60,
  exp: NOW_S - 60 + CONFIG.accessTtlSeconds,
};

/** An access token as tokens.ts signs one, with `claims` and `header` changed; `undefined` removes a claim. */
function accessToken(
  claims: Record<string, unknown> = {},
  header: Partial<JWTHeaderParameters> = {},
  key: SigningKey | typeof attacker.privateKey = currentKey,
): Promise<string> {
  const payload = Object.fromEntries(
    Object.entries({ ...CLAIMS, ...claims }).filter(([, value]) => value !== undefined),
  );
  const signWith = 'privateKey' in key ? key.privateKey : key;
  const kid = 'kid' in key ? key.kid : currentKey.kid;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt', ...header })
    .sign(signWith);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function hs256(secret: Uint8Array): Promise<string> {
  return new SignJWT(CLAIMS)
    .setProtectedHeader({ alg: 'HS256', kid: currentKey.kid, typ: 'at+jwt' })
    .sign(secret);
}

describe('an access token AuthKit issued', () => {
  it('stands for its session: the user, the session, its device and identifier key', async () => {
    // Prepare
    const token = await accessToken();

    // Act
    const result = await verifyAccessToken(deps(), token);

    // Assess
    expect(result).toEqual({
      ok: true,
      caller: { userId: 'usr_ada', sessionId: 'ses_1', deviceId: '', identifierKey: 'email#ada@example.com' },
    });
  });

  it("carries the session's device when the session is bound to one", async () => {
    // Prepare
    const sessions = { 'usr_ada/ses_1': { ...OPEN, deviceId: 'dev_1' } };

    // Act
    const result = await verifyAccessToken(deps(sessions), await accessToken());

    // Assess
    expect(result).toMatchObject({ ok: true, caller: { deviceId: 'dev_1' } });
  });

  it.each([
    ['previous', previousKey],
    ['next', nextKey],
  ])('verifies with the %s published key too (rotation)', async (_, key) => {
    // Act
    const result = await verifyAccessToken(deps(), await accessToken({}, {}, key));

    // Assess
    expect(result.ok).toBe(true);
  });
});

describe('a token whose header picks its own verification', () => {
  it('is refused with alg none, before any key is looked at', async () => {
    // Prepare
    const token = `${b64({ alg: 'none', typ: 'at+jwt', kid: currentKey.kid })}.${b64(CLAIMS)}.`;

    // Act
    const result = await verifyAccessToken(deps(), token);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'algorithm' });
  });

  it.each([
    ['the public JWK', () => new TextEncoder().encode(JSON.stringify(currentKey.publicJwk))],
    [
      'the public key as PEM',
      () =>
        new TextEncoder().encode(
          createPublicKey({ key: { ...currentKey.publicJwk }, format: 'jwk' })
            .export({ type: 'spki', format: 'pem' })
            .toString(),
        ),
    ],
  ])('is refused as HS256 keyed with %s (algorithm confusion)', async (_, secret) => {
    // Act
    const result = await verifyAccessToken(deps(), await hs256(secret()));

    // Assess
    expect(result).toEqual({ ok: false, reason: 'algorithm' });
  });

  it('is refused when it embeds the key that signed it, even naming a key of the ring', async () => {
    // Prepare: an attacker's key signs, and travels in the header.
    const token = await accessToken({}, { jwk: attackerJwk, kid: currentKey.kid }, attacker.privateKey);

    // Act
    const result = await verifyAccessToken(deps(), token);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'embedded-key' });
  });

  it.each([
    ['jku', { jku: 'https://attacker.example/jwks.json' }],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['x5c', { x5c: ['MIIB'] }],
  ])('is refused when it points at a key (%s), even signed by the ring', async (_, header) => {
    // Act
    const result = await verifyAccessToken(
      deps(),
      await accessToken({}, header as Partial<JWTHeaderParameters>),
    );

    // Assess
    expect(result).toEqual({ ok: false, reason: 'embedded-key' });
  });

  it("is refused when its kid names no key of the ring, even signed by the ring's key", async () => {
    // Act
    const unknown = await verifyAccessToken(deps(), await accessToken({}, { kid: 'not-a-ring-kid' }));
    const none = await verifyAccessToken(deps(), await accessToken({}, { kid: undefined }));

    // Assess
    expect(unknown).toEqual({ ok: false, reason: 'unknown-key' });
    expect(none).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it("is refused when its kid names the ring's key but another key signed it", async () => {
    // Act
    const result = await verifyAccessToken(deps(), await accessToken({}, {}, attacker.privateKey));

    // Assess
    expect(result).toEqual({ ok: false, reason: 'signature' });
  });

  it('is refused when its payload was edited after signing', async () => {
    // Prepare
    const [header, , signature] = (await accessToken()).split('.');
    const edited = `${header}.${b64({ ...CLAIMS, sub: 'usr_grace' })}.${signature}`;

    // Act
    const result = await verifyAccessToken(deps({ 'usr_grace/ses_1': OPEN }), edited);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'signature' });
  });
});

describe('a token that is not an access token', () => {
  it('is refused as an ID token (typ JWT, the ID-token audience)', async () => {
    // Prepare: the claims tokens.ts puts in an ID token.
    const idToken = await accessToken(
      { aud: CONFIG.idTokenAudience, token_use: undefined, email: 'ada@example.com', email_verified: true },
      { typ: 'JWT' },
    );

    // Act
    const result = await verifyAccessToken(deps(), idToken);

    // Assess
    expect(result.ok).toBe(false);
  });

  it('is refused for its type alone: typ JWT, everything else an access token', async () => {
    // Act
    const result = await verifyAccessToken(deps(), await accessToken({}, { typ: 'JWT' }));

    // Assess
    expect(result).toEqual({ ok: false, reason: 'type' });
  });

  it('is refused for its audience alone: the ID-token audience, everything else an access token', async () => {
    // Act
    const result = await verifyAccessToken(deps(), await accessToken({ aud: CONFIG.idTokenAudience }));

    // Assess
    expect(result).toEqual({ ok: false, reason: 'audience' });
  });

  it('is refused without token_use access', async () => {
    // Act
    const missing = await verifyAccessToken(deps(), await accessToken({ token_use: undefined }));
    const id = await verifyAccessToken(deps(), await accessToken({ token_use: 'id' }));

    // Assess
    expect([missing, id]).toEqual([
      { ok: false, reason: 'claims' },
      { ok: false, reason: 'claims' },
    ]);
  });

  it('is refused from another issuer', async () => {
    // Act
    const result = await verifyAccessToken(deps(), await accessToken({ iss: 'https://evil.example.com' }));

    // Assess
    expect(result).toEqual({ ok: false, reason: 'issuer' });
  });

  it.each(['sub', 'sid', 'jti', 'iat', 'exp'])('is refused without %s', async (claim) => {
    // Act
    const result = await verifyAccessToken(deps(), await accessToken({ [claim]: undefined }));

    // Assess
    expect(result).toEqual({ ok: false, reason: 'claims' });
  });

  it.each([
    ['a word', 'garbage'],
    ['two segments', 'a.b'],
    ['a header that is not JSON', `${Buffer.from('{').toString('base64url')}.${b64(CLAIMS)}.sig`],
    ['an encrypted token (JWE)', `${b64({ alg: 'dir', enc: 'A256GCM' })}..iv.ct.tag`],
  ])('is refused as malformed: %s', async (_, token) => {
    // Act
    const result = await verifyAccessToken(deps(), token);

    // Assess
    expect(result.ok).toBe(false);
    expect(['malformed', 'algorithm']).toContain((result as { reason: string }).reason);
  });
});

describe('the lifetime of an access token, with 30 s of clock skew', () => {
  // The skew the product promises, written out: the specs below hold the code to it, not to itself.
  const tolerance = 30;

  it('is declared as 30 s', () => {
    // Assess
    expect(ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS).toBe(tolerance);
  });

  it('still accepts a token that expired within the skew, and refuses one past it', async () => {
    // Prepare
    const expiredAt = (secondsAgo: number) => ({ iat: NOW_S - 600, exp: NOW_S - secondsAgo });

    // Act
    const within = await verifyAccessToken(deps(), await accessToken(expiredAt(tolerance - 1)));
    const past = await verifyAccessToken(deps(), await accessToken(expiredAt(tolerance + 1)));

    // Assess
    expect(within.ok).toBe(true);
    expect(past).toEqual({ ok: false, reason: 'expired' });
  });

  it('accepts a token valid from within the skew, and refuses one not valid yet (nbf)', async () => {
    // Act
    const within = await verifyAccessToken(deps(), await accessToken({ nbf: NOW_S + tolerance - 1 }));
    const early = await verifyAccessToken(deps(), await accessToken({ nbf: NOW_S + tolerance + 1 }));

    // Assess
    expect(within.ok).toBe(true);
    expect(early).toEqual({ ok: false, reason: 'not-yet-valid' });
  });

  it('refuses a token issued in the future beyond the skew', async () => {
    // Act
    const result = await verifyAccessToken(
      deps(),
      await accessToken({ iat: NOW_S + tolerance + 1, exp: NOW_S + 900 }),
    );

    // Assess
    expect(result).toEqual({ ok: false, reason: 'not-yet-valid' });
  });

  it('refuses a token older than the access lifetime, whatever its exp says', async () => {
    // Act
    const result = await verifyAccessToken(
      deps(),
      await accessToken({ iat: NOW_S - CONFIG.accessTtlSeconds - tolerance - 1, exp: NOW_S + 3600 }),
    );

    // Assess
    expect(result).toEqual({ ok: false, reason: 'expired' });
  });
});

describe('the session behind an access token', () => {
  it('must exist', async () => {
    // Act
    const result = await verifyAccessToken(deps({}), await accessToken());

    // Assess
    expect(result).toEqual({ ok: false, reason: 'session' });
  });

  it('must not be revoked (logout, device revoke, refresh reuse), even a moment ago', async () => {
    // Prepare
    const sessions = { 'usr_ada/ses_1': { ...OPEN, revokedAt: NOW - 1 } };

    // Act
    const result = await verifyAccessToken(deps(sessions), await accessToken());

    // Assess
    expect(result).toEqual({ ok: false, reason: 'session' });
  });

  it('must be within its absolute lifetime', async () => {
    // Prepare
    const sessions = { 'usr_ada/ses_1': { ...OPEN, absoluteExpiresAt: NOW } };

    // Act
    const result = await verifyAccessToken(deps(sessions), await accessToken());

    // Assess
    expect(result).toEqual({ ok: false, reason: 'session' });
  });

  it("must be the token's own user's: a session id under another user is no session", async () => {
    // Prepare
    const sessions = { 'usr_grace/ses_1': OPEN };

    // Act
    const result = await verifyAccessToken(deps(sessions), await accessToken());

    // Assess
    expect(result).toEqual({ ok: false, reason: 'session' });
  });
});
