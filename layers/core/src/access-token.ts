/**
 * What a protected route accepts: an access token AuthKit issued (ES256, `typ: at+jwt`, its issuer
 * and the access audience, within its lifetime), verified only with a key of AuthKit's own key ring,
 * for a session that is still open. The session is read on every request (strongly consistent), so a
 * revocation (logout, device revoke, refresh reuse) stops its access tokens at once rather than when
 * they expire.
 */
import {
  decodeProtectedHeader,
  errors,
  importJWK,
  type JWK,
  jwtVerify,
  type ProtectedHeaderParameters,
} from 'jose';
import type { Config } from './config.ts';
import type { Clock, SessionStore } from './ports.ts';
import type { KeyRingSource } from './signing-key.ts';

/**
 * The leeway for `exp`, `nbf` and `iat` against this function's clock. AuthKit signs and verifies
 * on Lambda (NTP-disciplined clocks); 30 s absorbs what a foreign clock could add, and is the most
 * an expired token gains.
 */
export const ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS = 30;

/** The one algorithm AuthKit signs with; nothing the token's header says widens it. */
const ALGORITHM = 'ES256';
/** RFC 9068's media type for JWT access tokens; ID tokens are `JWT`. */
const ACCESS_TOKEN_TYPE = 'at+jwt';
/**
 * Header parameters that carry or point at a key. AuthKit never issues them, and verifying with a
 * key the token brings would let anyone sign: a token that has one is refused before any check.
 */
const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;
const REQUIRED_CLAIMS = ['sub', 'sid', 'jti', 'iat', 'exp'];

/** The caller of a protected route: what the authorizer hands on as API Gateway's context. */
export type AccessCaller = {
  userId: string;
  sessionId: string;
  /** The device the session is bound to; '' when none (context values are strings). */
  deviceId: string;
  identifierKey: string;
};

/** Why a token was refused: counted by the authorizer, never told to the client (every refusal is the same 401). */
export type AccessRefusal =
  | 'malformed'
  | 'algorithm'
  | 'embedded-key'
  | 'unknown-key'
  | 'signature'
  | 'type'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not-yet-valid'
  | 'claims'
  | 'session';

export type AccessResult = { ok: true; caller: AccessCaller } | { ok: false; reason: AccessRefusal };

export type AccessTokenDeps = {
  /** AuthKit's keys as the seed stands now: only its `published` keys verify. */
  keyRing: KeyRingSource;
  sessions: Pick<SessionStore, 'findSession'>;
  clock: Clock;
  config: Pick<Config['tokens'], 'issuer' | 'audience' | 'accessTtlSeconds'>;
};

/**
 * The caller an access token stands for, or why it stands for no one. Only a failure to reach a
 * dependency (the key ring, the session store) throws: that is an outage, not a refusal.
 */
export async function verifyAccessToken(deps: AccessTokenDeps, token: string): Promise<AccessResult> {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return refused('malformed');
  }
  // Decided from the header alone, before any key is chosen: alg none, HS256 keyed with the public
  // key and every other algorithm never reach a verifier.
  if (header.alg !== ALGORITHM) return refused('algorithm');
  if (KEY_CARRYING_HEADERS.some((name) => header[name] !== undefined)) return refused('embedded-key');
  const key = await ringKey(deps.keyRing, header.kid);
  if (!key) return refused('unknown-key');

  const now = deps.clock.now();
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      typ: ACCESS_TOKEN_TYPE,
      issuer: deps.config.issuer,
      audience: deps.config.audience,
      requiredClaims: REQUIRED_CLAIMS,
      clockTolerance: ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS,
      // A token older than the access lifetime is refused whatever its `exp` says; and one issued
      // in the future (beyond the tolerance) is not valid yet.
      maxTokenAge: deps.config.accessTtlSeconds,
      currentDate: new Date(now),
    }));
  } catch (error) {
    return refused(refusalOf(error));
  }
  const userId = payload.sub;
  const sessionId = payload.sid;
  if (payload.token_use !== 'access' || !isText(userId) || !isText(sessionId)) return refused('claims');

  const session = await deps.sessions.findSession(userId, sessionId);
  if (!session || session.revokedAt !== undefined || session.absoluteExpiresAt <= now) {
    return refused('session');
  }
  return {
    ok: true,
    caller: {
      userId,
      sessionId,
      deviceId: session.deviceId ?? '',
      identifierKey: session.identifierKey,
    },
  };
}

const refused = (reason: AccessRefusal): AccessResult => ({ ok: false, reason });

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * The ring's public key whose `kid` the header names, or none. The `kid` is the only thing taken from
 * the token: a key it does not name exactly is never tried.
 */
async function ringKey(keyRing: KeyRingSource, kid: unknown) {
  if (!isText(kid)) return undefined;
  const jwk = (await keyRing()).published.find((candidate) => candidate.kid === kid);
  return jwk ? imported(jwk) : undefined;
}

// The ring keeps its JWK objects while the seed is unchanged, so each is imported once per seed.
const importedKeys = new WeakMap<JWK, ReturnType<typeof importJWK>>();
function imported(jwk: JWK): ReturnType<typeof importJWK> {
  let key = importedKeys.get(jwk);
  if (!key) {
    key = importJWK(jwk, ALGORITHM);
    importedKeys.set(jwk, key);
  }
  return key;
}

function refusalOf(error: unknown): AccessRefusal {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'typ':
        return 'type';
      case 'iss':
        return 'issuer';
      case 'aud':
        return 'audience';
      case 'nbf':
      case 'iat':
        return error.reason === 'missing' ? 'claims' : 'not-yet-valid';
      default:
        return 'claims';
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  // With the key in hand jwtVerify does no I/O: whatever else it throws is about the token.
  return 'malformed';
}
