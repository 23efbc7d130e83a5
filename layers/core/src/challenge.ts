/**
 * The one-time-code challenge: issue, resend, verify. Every limit is decided by a conditional write
 * in the ChallengeStore, never by reading a value and writing it back: a send is claimed together
 * with the budgets it spends, an attempt together with the lockout's locks.
 */
import type { Config } from './config.ts';
import {
  ChallengeClosed,
  DeliveryFailed,
  InvalidCode,
  ProviderUnavailable,
  RateLimited,
  ServiceUnavailable,
} from './errors.ts';
import {
  type Channel,
  type Identifier,
  identifierKey,
  maskIdentifier,
  normalizeIdentifier,
} from './identifier.ts';
import {
  attemptLocks,
  clearLockout,
  type LockoutDeps,
  type LockoutNotifier,
  noticeIfBlocked,
  reopenAfterBlock,
} from './lockout.ts';
import { renderCodeEmail, renderCodeSms } from './messages.ts';
import type {
  ChallengeRecord,
  ChallengeStore,
  Clock,
  DenylistStore,
  Mailer,
  Random,
  SecretSource,
  SmsSender,
  Source,
} from './ports.ts';
import { overBudget, sendSpend } from './rate-limits.ts';
import { refuseDenied } from './screening.ts';
import { generateCode, hashCode, sameHash } from './secrets.ts';

export type ChallengeDeps = {
  store: ChallengeStore;
  mailer: Mailer;
  sms: SmsSender;
  clock: Clock;
  random: Random;
  /** The HMAC key of codes, read for every code issued or checked: a rotated pepper applies at once. */
  pepper: SecretSource;
  config: Pick<Config, 'code' | 'product' | 'rateLimit'>;
};

/** What start and resend answer: never the code, never the full destination. */
export type ChallengeView = {
  challengeId: string;
  channel: Channel;
  method: 'otp';
  destination: string;
  expiresAt: string;
  resendAvailableAt: string;
  codeLength: number;
};

export function viewOf(record: ChallengeRecord, cooldownSeconds: number): ChallengeView {
  return {
    challengeId: record.challengeId,
    channel: record.channel,
    method: 'otp',
    destination: maskIdentifier(normalizeIdentifier(record.destination)),
    expiresAt: new Date(record.expiresAt).toISOString(),
    resendAvailableAt: new Date(record.lastSentAt + cooldownSeconds * 1000).toISOString(),
    codeLength: record.codeLength,
  };
}

/**
 * The first send of a challenge (the workflow's SendChallenge step): claimed together with the
 * budgets it spends. Idempotent by challenge id: a retried step finds its claim and answers without
 * sending or spending again.
 */
export async function issueChallenge(
  deps: ChallengeDeps,
  input: {
    challengeId: string;
    identifier: Identifier;
    channel: Channel;
    source: Source;
    locale?: string | undefined;
  },
): Promise<ChallengeView> {
  const { config } = deps;
  const { now, code, codeHash, expiresAt } = await freshCode(deps, input.challengeId);
  const spend = sendSpend(config.rateLimit, input.identifier, input.source, now);
  const claim = await deps.store.claimFirstSend(
    {
      challengeId: input.challengeId,
      identifierKey: identifierKey(input.identifier),
      channel: input.channel,
      destination: input.identifier.value,
      codeHash,
      codeLength: config.code.length,
      status: 'pending',
      attempts: 0,
      sends: 1,
      createdAt: now,
      lastSentAt: now,
      expiresAt,
    },
    spend,
  );
  if (claim.outcome === 'over-budget') throw overBudget(spend);
  if (claim.outcome === 'claimed') await deliver(deps, claim.record, code, input.locale);
  return viewOf(claim.record, config.code.resendCooldownSeconds);
}

/**
 * A new code for an open challenge: it replaces the old one; attempts already made still count.
 * `screen` runs the deployment's checks on the identifier (denylist, lockout, spent budgets) before
 * anything is claimed; the claim then spends the budgets like any send, all or nothing.
 */
export async function resendChallenge(
  deps: ChallengeDeps,
  input: {
    challengeId: string;
    source: Source;
    locale?: string | undefined;
    screen: (identifier: Identifier, now: number) => Promise<unknown>;
  },
): Promise<ChallengeView> {
  const { config } = deps;
  const { now, code, codeHash, expiresAt } = await freshCode(deps, input.challengeId);
  // Refusing early only saves work; the claim's conditions decide.
  const current = await deps.store.find(input.challengeId);
  const early = resendRefusal(current, now, config.code);
  if (early || !current) throw early ?? new ChallengeClosed();
  const identifier = normalizeIdentifier(current.destination);
  await input.screen(identifier, now);
  const spend = sendSpend(config.rateLimit, identifier, input.source, now);
  const claim = await deps.store.claimResend({
    challengeId: input.challengeId,
    codeHash,
    now,
    expiresAt,
    cooldownMs: config.code.resendCooldownSeconds * 1000,
    maxSends: config.code.maxSends,
    maxAttempts: config.code.maxAttempts,
    spend,
  });
  if (claim.outcome === 'over-budget') throw overBudget(spend);
  if (claim.outcome === 'refused')
    throw resendRefusal(claim.record, now, config.code) ?? new ChallengeClosed();
  await deliver(deps, claim.record, code, input.locale);
  return viewOf(claim.record, config.code.resendCooldownSeconds);
}

/** Why a challenge cannot be resent now, in the terms of the HTTP contract; undefined if it can. */
export function resendRefusal(
  record: ChallengeRecord | undefined,
  now: number,
  limits: Config['code'],
): ChallengeClosed | RateLimited | undefined {
  if (!record) return new ChallengeClosed();
  if (record.status !== 'pending' || record.expiresAt <= now || record.attempts >= limits.maxAttempts) {
    return new ChallengeClosed();
  }
  if (record.sends >= limits.maxSends) {
    return new RateLimited((record.expiresAt - now) / 1000, 'No more codes can be sent for this challenge');
  }
  const cooledDownAt = record.lastSentAt + limits.resendCooldownSeconds * 1000;
  if (cooledDownAt > now) return new RateLimited((cooledDownAt - now) / 1000, 'A code was sent moments ago');
  return undefined;
}

/** A new code for the challenge, its HMAC, and the lifetime it gets from now. */
async function freshCode(deps: ChallengeDeps, challengeId: string) {
  const { config } = deps;
  const pepper = await deps.pepper();
  const now = deps.clock.now();
  const code = generateCode(deps.random, config.code.length);
  return {
    now,
    code,
    codeHash: hashCode(pepper, challengeId, code),
    expiresAt: now + config.code.ttlSeconds * 1000,
  };
}

async function deliver(
  deps: ChallengeDeps,
  record: ChallengeRecord,
  code: string,
  locale?: string,
): Promise<void> {
  const minutes = Math.round(deps.config.code.ttlSeconds / 60);
  const context = { challengeId: record.challengeId };
  try {
    if (record.channel === 'email') {
      await deps.mailer.send({
        to: record.destination,
        ...renderCodeEmail({ code, minutes, productName: deps.config.product.name, locale }),
        tags: context,
      });
    } else {
      await deps.sms.send({
        to: record.destination,
        text: renderCodeSms({ code, minutes, productName: deps.config.product.name, locale }),
        context,
      });
    }
  } catch (error) {
    // Give the claim back so the workflow's retry (or the user's resend) can send; the code that
    // was never delivered is invalidated with it.
    await deps.store.releaseSend(record.challengeId, record.codeHash);
    if (error instanceof ProviderUnavailable || error instanceof DeliveryFailed) throw error;
    throw new ProviderUnavailable('The message provider failed unexpectedly', { cause: error });
  }
}

export type VerifyDeps = Pick<ChallengeDeps, 'store' | 'clock' | 'pepper'> & {
  config: Pick<Config, 'code' | 'lockout' | 'captcha'>;
  locks: LockoutDeps['locks'];
  denylist: DenylistStore;
  notify: LockoutNotifier;
  /** Bookkeeping after the answer is decided (notices, clearing the lockout) that failed. */
  warn: (what: string, error: unknown) => void;
};

/** A lock that was reopened is tried again; more rounds than this means the locks keep moving. */
const MAX_ATTEMPT_ROUNDS = 3;

/**
 * Checks a code. Each call spends one attempt from the challenge and from the lockout's locks
 * *before* the comparison, all in one transaction, so parallel guesses can never test more codes
 * than the challenge or a lock allows; the match is then consumed by one conditional write and
 * clears the lockout. Every failure of the code answers the same InvalidCode; a lock that blocks
 * answers RateLimited with the time its block ends.
 */
export async function verifyCode(
  deps: VerifyDeps,
  input: { challengeId: string; code: string; source: Source },
): Promise<ChallengeRecord> {
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
  // A denylisted identifier's (or domain's) open challenges die with it.
  await refuseDenied(deps.denylist, normalizeIdentifier(record.destination));
  const lockout = { locks: deps.locks, config };
  const locking = await attemptLocks(lockout, record.identifierKey, input.source, now);
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
    if (round === MAX_ATTEMPT_ROUNDS)
      throw new ServiceUnavailable('The code could not be checked right now.');
  }
  const presented = hashCode(pepper, input.challengeId, input.code);
  if (record.codeLength !== input.code.length || !sameHash(record.codeHash, presented)) {
    // The answer is decided; a notice that fails must not turn it into an error.
    await noticeIfBlocked({ ...lockout, notify: deps.notify }, record, input.source, now).catch((error) =>
      deps.warn('lockout notice', error),
    );
    throw new InvalidCode();
  }
  if (!(await store.consume(input.challengeId, presented, now))) throw new InvalidCode();
  // The code is spent: failing here would cost the person their sign-in. Stale counts only bring a
  // later block sooner.
  await clearLockout(lockout, record.identifierKey, input.source, { ...locking, now }).catch((error) =>
    deps.warn('clearing the lockout', error),
  );
  return record;
}
