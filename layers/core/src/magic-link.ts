/**
 * Magic links that survive mail scanners. A link names its challenge and carries 256 random bits;
 * the challenge keeps only the SHA-256 of the whole token, replaced by each send, and the link dies
 * with the challenge (at most CodeTtlSeconds, 10 minutes, after its send).
 *
 * Opening the link (GET or HEAD) reads and writes nothing but a page: a scanner that fetches it
 * changes nothing. Only POST /v1/auth/magic-link/verify consumes it, and only together with the
 * PKCE-style binding of the browser that started: start took `codeChallenge` =
 * base64url(SHA-256(verifier)), the app kept the verifier, and verify must present it. A scanner,
 * or a person on another device, has the link but not the verifier: they get InvalidLink, nothing
 * is counted, and the link still works where it was asked for. The other device is offered the
 * code from the same email instead.
 */
import { createHash } from 'node:crypto';
import type { Config } from './config.ts';
import { InvalidLink, InvalidRequest } from './errors.ts';
import { type Identifier, maskIdentifier, normalizeIdentifier, screeningKey } from './identifier.ts';
import { attemptLocks, clearLockout, type LockoutDeps } from './lockout.ts';
import type { ChallengeRecord, ChallengeStore, Clock, DenylistStore, Random, Source } from './ports.ts';
import { refuseDenied } from './screening.ts';
import { generateToken, hashToken, sameHash } from './secrets.ts';
import { type FinishSignInDeps, finishSignIn, type SignInContext } from './sign-in.ts';
import type { TokenSet } from './tokens.ts';

/** The route a link opens, under the configured base URL (MagicLinkBaseUrl). */
export const MAGIC_LINK_PATH = '/v1/auth/magic-link';

/** `<challenge id>.<256 bits, base64url>`: the id makes finding the challenge one GetItem. */
const TOKEN_PATTERN = /^(ch_[A-Za-z0-9_-]{1,64})\.[A-Za-z0-9_-]{43}$/;

/** RFC 7636's code_verifier: 43 to 128 unreserved characters. */
export const CODE_VERIFIER_PATTERN = /^[A-Za-z0-9._~-]{43,128}$/;

/** base64url(SHA-256(code_verifier)), unpadded: always 43 characters (RFC 7636, S256). */
export const CODE_CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new link token for the challenge: each send makes one, and its hash replaces the last. */
export function newLinkToken(random: Random, challengeId: string): string {
  return `${challengeId}.${generateToken(random)}`;
}

/** The challenge a token names, or undefined for anything that is no link token. */
export function challengeIdOf(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

/** The link in the email: the configured origin, never a request's Host header. */
export function magicLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl}${MAGIC_LINK_PATH}?token=${encodeURIComponent(token)}`;
}

/**
 * Where the page continues: the app's page with the token in the fragment, which browsers never
 * send to a server, so the app's own access logs never hold it.
 */
export function continueUrl(redirectUri: string, token: string): string {
  return `${redirectUri}#token=${encodeURIComponent(token)}`;
}

/** S256: what start's `codeChallenge` is for a verifier. */
export function codeChallengeOf(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

/** Whether the verifier presented is the one whose challenge start was given (constant time). */
export function bindingHolds(codeChallenge: string, codeVerifier: string | undefined): boolean {
  return codeVerifier !== undefined && sameHash(codeChallenge, codeChallengeOf(codeVerifier));
}

/** What start binds a magic link to. */
export type LinkRequest = { redirectUri: string; codeChallenge: string };

/**
 * Start's fields for `method: magic_link`, checked in this order: magic links on (some redirect URI
 * allowed), an email address by email (a phone number or another channel is refused naming the
 * method), a redirectUri equal to one of the allowed pages, and an S256 code challenge.
 */
export function linkRequest(
  config: Pick<Config, 'magicLinks'>,
  identifier: Identifier,
  fields: {
    channel?: string | undefined;
    redirectUri?: string | undefined;
    codeChallenge?: string | undefined;
  },
): LinkRequest {
  const allowed = config.magicLinks.redirectUris;
  if (allowed.length === 0)
    throw new InvalidRequest('method', 'magic_link is not enabled on this deployment');
  if (identifier.kind !== 'email' || (fields.channel !== undefined && fields.channel !== 'email')) {
    throw new InvalidRequest('method', 'magic_link signs in by email only; use otp for a phone number');
  }
  const { redirectUri, codeChallenge } = fields;
  if (redirectUri === undefined)
    throw new InvalidRequest('redirectUri', 'is required with method magic_link');
  // Exactly, as OAuth compares redirect URIs: no prefix, no normalisation an attacker could bend.
  if (!allowed.includes(redirectUri)) {
    throw new InvalidRequest('redirectUri', 'is not one of the pages this deployment lets magic links open');
  }
  if (codeChallenge === undefined) {
    throw new InvalidRequest('codeChallenge', 'is required with method magic_link');
  }
  if (!CODE_CHALLENGE_PATTERN.test(codeChallenge)) {
    throw new InvalidRequest(
      'codeChallenge',
      'must be base64url(SHA-256(code verifier)) without padding: 43 characters',
    );
  }
  return { redirectUri, codeChallenge };
}

type OpenLinkDeps = {
  store: Pick<ChallengeStore, 'find'>;
  clock: Clock;
  config: Pick<Config, 'code'>;
};

/** The challenge of a link that can still sign in, read without writing; undefined otherwise. */
async function openChallenge(
  deps: OpenLinkDeps,
  token: string | undefined,
  now: number,
): Promise<ChallengeRecord | undefined> {
  const challengeId = token === undefined ? undefined : challengeIdOf(token);
  if (token === undefined || challengeId === undefined) return undefined;
  const record = await deps.store.find(challengeId);
  const open =
    record?.method === 'magic_link' &&
    record.link !== undefined &&
    record.status === 'pending' &&
    record.expiresAt > now &&
    record.attempts < deps.config.code.maxAttempts &&
    sameHash(record.link.linkHash, hashToken(token));
  return open ? record : undefined;
}

/** What the page a link opens shows: where to continue, or that the link no longer works. */
export type LinkPage =
  | { open: true; continueTo: string; destination: string; appOrigin: string }
  | { open: false };

/**
 * GET and HEAD of a link: reads the challenge and nothing else; no attempt, no write. A link whose
 * page the operator has since removed from the allow-list no longer continues there.
 */
export async function inspectLink(
  deps: OpenLinkDeps & { config: Pick<Config, 'magicLinks'> },
  token: string | undefined,
): Promise<LinkPage> {
  const record = await openChallenge(deps, token, deps.clock.now());
  const link = record?.link;
  if (!record || !link || !token || !deps.config.magicLinks.redirectUris.includes(link.redirectUri)) {
    return { open: false };
  }
  return {
    open: true,
    continueTo: continueUrl(link.redirectUri, token),
    destination: maskIdentifier(normalizeIdentifier(record.destination)),
    appOrigin: new URL(link.redirectUri).host,
  };
}

export type LinkVerifyDeps = OpenLinkDeps & {
  store: Pick<ChallengeStore, 'find' | 'consumeLink'>;
  config: Pick<Config, 'code' | 'lockout' | 'captcha'>;
  locks: LockoutDeps['locks'];
  denylist: DenylistStore;
  /** Bookkeeping after the answer is decided (clearing the lockout) that failed. */
  warn: (what: string, error: unknown) => void;
};

/**
 * POST /v1/auth/magic-link/verify's decision: an open link with the starting browser's verifier is
 * consumed by one conditional write, so of any number of parallel confirmations one signs in. Every
 * other case (unknown, expired, used, no or the wrong verifier) answers InvalidLink without writing
 * anything: a scanner that posts the token spends nothing, and the link still works for its person.
 * Like a correct code, a sign-in clears the lockout's counts.
 */
export async function verifyMagicLink(
  deps: LinkVerifyDeps,
  input: { token: string; codeVerifier: string | undefined; source: Source },
): Promise<ChallengeRecord> {
  const now = deps.clock.now();
  const record = await openChallenge(deps, input.token, now);
  if (!record?.link || !bindingHolds(record.link.codeChallenge, input.codeVerifier)) throw new InvalidLink();
  const identifier = normalizeIdentifier(record.destination);
  // A denylisted identifier's open challenges die with it, links as codes.
  await refuseDenied(deps.denylist, identifier);
  const consumed = await deps.store.consumeLink({
    challengeId: record.challengeId,
    linkHash: record.link.linkHash,
    now,
    maxAttempts: deps.config.code.maxAttempts,
  });
  if (!consumed) throw new InvalidLink();
  // The link is spent: failing here would cost the person their sign-in.
  const lockout = { locks: deps.locks, config: deps.config };
  const lockKey = screeningKey(identifier);
  await attemptLocks(lockout, lockKey, input.source, now)
    .then((locking) => clearLockout(lockout, lockKey, input.source, { ...locking, now }))
    .catch((error) => deps.warn('clearing the lockout', error));
  return record;
}

export type LinkSignInDeps = LinkVerifyDeps & FinishSignInDeps;

/** A confirmed link signs its person in where a code does: their user recorded, a session opened. */
export async function completeLinkSignIn(
  deps: LinkSignInDeps,
  input: { token: string; codeVerifier: string | undefined } & Omit<SignInContext, 'method'>,
): Promise<TokenSet> {
  const challenge = await verifyMagicLink(deps, input);
  return finishSignIn(deps, challenge, { ...input, method: 'magic_link' });
}
