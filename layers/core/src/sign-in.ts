/**
 * Completing a sign-in: the code is checked against the lockout, the person's user is recorded and
 * a session opened. Every limit is a conditional write: an attempt is spent from the challenge and
 * the lockout's locks before the code is compared, and a matching code is consumed once.
 */
import { type AccountAuditDeps, recordAccountEvent } from './audit.ts';
import type { Config } from './config.ts';
import { announceNewDevice, deviceAtSignIn, type NewDeviceNotice } from './device-sessions.ts';
import { InvalidCode, ServiceUnavailable } from './errors.ts';
import { normalizeIdentifier, screeningKey } from './identifier.ts';
import {
  attemptLocks,
  clearLockout,
  type LockoutDeps,
  type LockoutNotifier,
  noticeIfBlocked,
  reopenAfterBlock,
} from './lockout.ts';
import type {
  ChallengeRecord,
  ChallengeStore,
  Clock,
  DenylistStore,
  DeviceDescription,
  DeviceStore,
  Random,
  SecretSource,
  SignInMethod,
  Source,
  UserStore,
} from './ports.ts';
import { networkOf } from './rate-limits.ts';
import { refuseDenied } from './screening.ts';
import { generateId, hashCode, sameHash } from './secrets.ts';
import { countSmsSignIn, type SmsBreakerDeps } from './sms-breaker.ts';
import { startSession, type TokenDeps, type TokenSet } from './tokens.ts';

export type VerifyDeps = {
  store: ChallengeStore;
  clock: Clock;
  /** The HMAC key of codes, read for every code checked: a rotated pepper applies at once. */
  pepper: SecretSource;
  config: Pick<Config, 'code' | 'lockout' | 'captcha'>;
  locks: LockoutDeps['locks'];
  denylist: DenylistStore;
  notify: LockoutNotifier;
  /** Counts sign-ins by SMS against the sends the SMS-pumping breaker counted. */
  smsBreaker: SmsBreakerDeps;
  /** Bookkeeping after the answer is decided (notices, clearing the lockout) that failed. */
  warn: (what: string, error: unknown) => void;
  /** The account's trail: a lockout block that starts, a sign-in. */
  audit: AccountAuditDeps;
};

export type SignInDeps = VerifyDeps & {
  users: UserStore;
  random: Random;
  tokens: TokenDeps;
  /** The user's devices, to recognise the one a sign-in comes from. */
  devices: DeviceStore;
  /** Where a sign-in from a new device is told (NewDeviceSignIn). */
  newDevices: NewDeviceNotice;
};

/** What finishing a sign-in needs, whichever way it was proved: a magic link needs no pepper or notices. */
export type FinishSignInDeps = Pick<
  SignInDeps,
  'clock' | 'users' | 'random' | 'tokens' | 'devices' | 'newDevices' | 'audit'
>;

export type VerifyInput = {
  challengeId: string;
  code: string;
  source: Source;
  /** The request's id, for the audit trail. */
  requestId?: string;
};

/** A lock that was reopened is tried again; more rounds than this means the locks keep moving. */
const MAX_ATTEMPT_ROUNDS = 3;

/**
 * POST /v1/auth/verify's whole decision: a correct code for an open challenge signs the person in
 * (creating their user on first success) and opens a session; anything else answers InvalidCode,
 * or RateLimited while a lockout block runs.
 */
export async function completeSignIn(
  deps: SignInDeps,
  input: { challengeId: string; code: string } & Omit<SignInContext, 'method'>,
): Promise<TokenSet> {
  const challenge = await verifyCode(deps, input);
  return finishSignIn(deps, challenge, { ...input, method: 'otp' });
}

/** How a sign-in was proved, and from where. */
export type SignInContext = {
  method: SignInMethod;
  source: Source;
  device: DeviceDescription | undefined;
  requestId: string;
};

/**
 * Where every way of signing in ends once the person has proved the identifier (a code, a magic
 * link): their user, created on first success, and a new session.
 */
export async function finishSignIn(
  deps: FinishSignInDeps,
  challenge: ChallengeRecord,
  context: SignInContext,
): Promise<TokenSet> {
  const now = deps.clock.now();
  const user = await deps.users.recordLogin(challenge.identifierKey, generateId(deps.random, 'usr'), now);
  // Before the session opens: the session is bound to the device from its first token.
  const seen = await deviceAtSignIn(deps, {
    userId: user.userId,
    device: context.device,
    source: context.source,
  });
  const sessionId = generateId(deps.random, 'ses');
  const tokens = await startSession(deps.tokens, user, {
    sessionId,
    method: context.method,
    network: (context.source.ip && networkOf(context.source.ip)) || 'unknown',
    ...(seen ? { deviceId: seen.device.deviceId } : {}),
  });
  // Both never throw: the person is signed in whether or not the record or the event got out.
  await Promise.all([
    recordAccountEvent(deps.audit, {
      identifierKey: user.identifierKey,
      action: 'signed-in',
      requestId: context.requestId,
      source: context.source,
      sessionId,
      deviceId: seen?.device.deviceId,
      facts: { method: context.method, channel: challenge.channel },
    }),
    seen?.isNew
      ? announceNewDevice(deps.newDevices, { device: seen.device, sessionId, signedInAt: now })
      : undefined,
  ]);
  return tokens;
}

/**
 * Checks a code. Each call spends one attempt from the challenge and from the lockout's locks
 * *before* the comparison, all in one transaction, so parallel guesses can never test more codes
 * than the challenge or a lock allows; the match is then consumed by one conditional write and
 * clears the lockout. Every failure of the code answers the same InvalidCode; a lock that blocks
 * answers RateLimited with the time its block ends.
 */
export async function verifyCode(deps: VerifyDeps, input: VerifyInput): Promise<ChallengeRecord> {
  const { config, clock, store } = deps;
  if (!/^\d{6,8}$/.test(input.code)) throw new InvalidCode();
  // Read before an attempt is spent: a pepper that cannot be read must not cost the user a guess.
  const pepper = await deps.pepper();
  const now = clock.now();
  const record = await store.find(input.challengeId);
  // A closed challenge is refused from what was read: no attempt, no lock, no write.
  if (record?.status !== 'pending' || record.expiresAt <= now || record.attempts >= config.code.maxAttempts) {
    throw new InvalidCode();
  }
  const identifier = normalizeIdentifier(record.destination);
  // A denylisted identifier's (or domain's) open challenges die with it.
  await refuseDenied(deps.denylist, identifier);
  const lockout = { locks: deps.locks, config };
  // Folded like the budgets: guesses at `a+1@x` and `a+2@x` are guesses at one mailbox's codes.
  const lockKey = screeningKey(identifier);
  const locking = await attemptLocks(lockout, lockKey, input.source, now);
  for (let round = 1; ; round++) {
    const attempt = await store.countAttempt({
      challengeId: input.challengeId,
      now,
      maxAttempts: config.code.maxAttempts,
      locks: locking.locks,
    });
    if (attempt.outcome === 'counted') break;
    if (attempt.outcome === 'closed') throw new InvalidCode();
    await reopenAfterBlock(lockout, attempt.key, attempt.state, now);
    if (round === MAX_ATTEMPT_ROUNDS) throw new ServiceUnavailable('The locks kept moving');
  }
  const presented = hashCode(pepper, input.challengeId, input.code);
  if (record.codeLength !== input.code.length || !sameHash(record.codeHash, presented)) {
    // The answer is decided; a notice that fails must not turn it into an error.
    const blocks = {
      record: ({ scope, until }: { scope: string; until: number }) =>
        recordAccountEvent(deps.audit, {
          identifierKey: record.identifierKey,
          action: 'verify-locked',
          requestId: input.requestId ?? 'unknown',
          source: input.source,
          facts: { lock: scope, until: new Date(until).toISOString(), channel: record.channel },
        }),
      failed: deps.audit.warn,
    };
    await noticeIfBlocked(
      { ...lockout, notify: deps.notify, blocks },
      { lockKey, channel: record.channel, destination: record.destination },
      input.source,
      now,
    ).catch((error) => deps.warn('lockout notice', error));
    throw new InvalidCode();
  }
  if (!(await store.consume(input.challengeId, presented, now))) throw new InvalidCode();
  // The code is spent: failing here would cost the person their sign-in. Stale counts only bring a
  // later block sooner, and an uncounted sign-in only makes the SMS breaker stricter.
  await Promise.all([
    clearLockout(lockout, lockKey, input.source, { ...locking, now }).catch((error) =>
      deps.warn('clearing the lockout', error),
    ),
    identifier.kind === 'phone'
      ? countSmsSignIn(deps.smsBreaker, identifier).catch((error) => deps.warn('the SMS breaker', error))
      : undefined,
  ]);
  return record;
}
