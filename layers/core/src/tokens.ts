/**
 * Sessions and the tokens that carry them: ES256 access and ID tokens (jose), opaque refresh
 * tokens that rotate on every use. A refresh token presented twice revokes its whole session.
 */
import { SignJWT } from 'jose';
import { type AccountAuditDeps, recordAccountEvent } from './audit.ts';
import type { Config } from './config.ts';
import { InvalidGrant } from './errors.ts';
import type { Identifier } from './identifier.ts';
import type { Clock, Random, SessionRecord, SessionStore, SessionSummary, Source, User } from './ports.ts';
import { generateId, generateToken, hashToken } from './secrets.ts';
import type { SigningKey } from './signing-key.ts';

export type TokenDeps = {
  sessions: SessionStore;
  clock: Clock;
  random: Random;
  /** The key that signs now, read for every token set: a rotated seed applies at once. */
  signingKey: () => Promise<SigningKey>;
  config: Config['tokens'];
};

export type TokenSet = {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: { id: string; identifier: string };
};

/** What a new session records of its opening; its id, when the caller must know it (NewDeviceSignIn names it). */
export type SessionOpening = Pick<SessionRecord, 'method' | 'network' | 'deviceId'> & { sessionId?: string };

/** Where a refresh or a logout came from, for the audit trail. */
export type RequestContext = { source: Source; requestId: string };

export async function startSession(deps: TokenDeps, user: User, opening: SessionOpening): Promise<TokenSet> {
  // The key is read before anything is written: a key that cannot be read leaves no session behind.
  const signingKey = await deps.signingKey();
  const now = deps.clock.now();
  const { sessionId = generateId(deps.random, 'ses'), ...recorded } = opening;
  const session: SessionRecord = {
    sessionId,
    userId: user.userId,
    identifierKey: user.identifierKey,
    createdAt: now,
    absoluteExpiresAt: now + deps.config.refreshAbsoluteSeconds * 1000,
    ...recorded,
  };
  const refreshToken = generateToken(deps.random);
  await deps.sessions.createSession(
    session,
    hashToken(refreshToken),
    refreshExpiry(deps, now, session.absoluteExpiresAt),
  );
  return signTokens(deps, signingKey, session, refreshToken, now);
}

/**
 * Rotates the refresh token. `accept` may refuse the token's session before anything is written
 * (a refresh from another device than the session's, see device-sessions.ts). A rotated token
 * presented again ends its session, and the reuse that ended it is an audit record (later replays
 * of the ended session's tokens change nothing and are not).
 */
export async function refreshSession(
  deps: TokenDeps & { audit: AccountAuditDeps },
  refreshToken: string,
  context: RequestContext,
  accept?: (session: SessionRecord) => Promise<boolean>,
): Promise<TokenSet> {
  // Read before rotating: once rotated, the presented token is spent, and a key read that failed
  // after it would leave the client with neither token.
  const signingKey = await deps.signingKey();
  const now = deps.clock.now();
  const next = generateToken(deps.random);
  const result = await deps.sessions.rotateRefreshToken({
    oldTokenHash: hashToken(refreshToken),
    newTokenHash: hashToken(next),
    now,
    idleSeconds: deps.config.refreshIdleSeconds,
    ...(accept ? { accept } : {}),
  });
  if (result.outcome === 'reused' && result.ended) {
    await recordAccountEvent(deps.audit, {
      identifierKey: result.session.identifierKey,
      action: 'refresh-reused',
      ...context,
      sessionId: result.session.sessionId,
      deviceId: result.session.deviceId,
    });
  }
  if (result.outcome !== 'rotated') throw new InvalidGrant();
  return signTokens(deps, signingKey, result.session, next, now);
}

/**
 * Logout: the token's session ends, whatever state the token is in; the session, if there was one.
 * The logout that ended it is an audit record; one of a session already over is not.
 */
export async function endSession(
  deps: Pick<TokenDeps, 'sessions' | 'clock'> & { audit: AccountAuditDeps },
  refreshToken: string,
  context: RequestContext,
): Promise<SessionSummary | undefined> {
  const revoked = await deps.sessions.revokeByRefreshToken(hashToken(refreshToken), deps.clock.now());
  if (revoked?.ended) {
    await recordAccountEvent(deps.audit, {
      identifierKey: revoked.session.identifierKey,
      action: 'logged-out',
      ...context,
      sessionId: revoked.session.sessionId,
      deviceId: revoked.session.deviceId,
      facts: { by: 'user' },
    });
  }
  return revoked?.session;
}

function refreshExpiry(deps: TokenDeps, now: number, absoluteExpiresAt: number): number {
  return Math.min(now + deps.config.refreshIdleSeconds * 1000, absoluteExpiresAt);
}

async function signTokens(
  deps: TokenDeps,
  signingKey: SigningKey,
  session: Pick<SessionRecord, 'sessionId' | 'userId' | 'identifierKey' | 'createdAt'>,
  refreshToken: string,
  now: number,
): Promise<TokenSet> {
  const { config } = deps;
  const iat = Math.floor(now / 1000);
  const exp = iat + config.accessTtlSeconds;
  const identifier = identifierFromKey(session.identifierKey);
  const sign = (claims: Record<string, unknown>, typ: string, audience: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: signingKey.kid, typ })
      .setIssuer(config.issuer)
      .setAudience(audience)
      .setSubject(session.userId)
      .setJti(generateId(deps.random, 'jti').slice(4))
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(signingKey.privateKey);
  const [accessToken, idToken] = await Promise.all([
    sign({ sid: session.sessionId, token_use: 'access' }, 'at+jwt', config.audience),
    // auth_time stays at the original sign-in (OIDC Core 12.2), however often the session refreshes.
    sign(
      {
        sid: session.sessionId,
        auth_time: Math.floor(session.createdAt / 1000),
        ...identityClaims(identifier),
      },
      'JWT',
      // The app's own audience: a verifier that checks `aud` never takes an ID token for an access token.
      config.idTokenAudience,
    ),
  ]);
  return {
    accessToken,
    refreshToken,
    idToken,
    tokenType: 'Bearer',
    expiresIn: config.accessTtlSeconds,
    user: { id: session.userId, identifier: identifier.value },
  };
}

/**
 * The identifier a key was made from, read back as stored: it was judged when the user first
 * signed in, and a rule added since (a refused character) must not end that user's sessions.
 */
export function identifierFromKey(key: string): Pick<Identifier, 'kind' | 'value'> {
  const at = key.indexOf('#');
  return { kind: key.slice(0, at) === 'phone' ? 'phone' : 'email', value: key.slice(at + 1) };
}

function identityClaims(identifier: Pick<Identifier, 'kind' | 'value'>): Record<string, unknown> {
  return identifier.kind === 'email'
    ? { email: identifier.value, email_verified: true }
    : { phone_number: identifier.value, phone_number_verified: true };
}
