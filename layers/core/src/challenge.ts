/**
 * The one-time-code challenge: issue, resend, verify. Every limit is decided by a conditional write
 * in the ChallengeStore, never by reading a value and writing it back.
 */
import type { Config } from './config.ts';
import { ChallengeClosed, DeliveryFailed, InvalidCode, ProviderUnavailable, RateLimited } from './errors.ts';
import {
  type Channel,
  type Identifier,
  identifierKey,
  maskIdentifier,
  normalizeIdentifier,
} from './identifier.ts';
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
  UserStore,
} from './ports.ts';
import { generateCode, hashCode, sameHash } from './secrets.ts';

export type ChallengeDeps = {
  store: ChallengeStore;
  mailer: Mailer;
  sms: SmsSender;
  clock: Clock;
  random: Random;
  /** The HMAC key of codes, read for every code issued or checked: a rotated pepper applies at once. */
  pepper: SecretSource;
  config: Pick<Config, 'code' | 'productName'>;
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
 * The first send of a challenge (the workflow's SendChallenge step). Idempotent by challenge id: a
 * retried step finds its claim and answers without sending again.
 */
export async function issueChallenge(
  deps: ChallengeDeps,
  input: { challengeId: string; identifier: Identifier; channel: Channel; locale?: string | undefined },
): Promise<ChallengeView> {
  const { config } = deps;
  const { now, code, codeHash, expiresAt } = await freshCode(deps, input.challengeId);
  const claim = await deps.store.claimFirstSend({
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
  });
  if (claim.outcome === 'claimed') await deliver(deps, claim.record, code, input.locale);
  if (claim.outcome === 'claimed' || claim.outcome === 'already-claimed') {
    return viewOf(claim.record, config.code.resendCooldownSeconds);
  }
  throw new ChallengeClosed();
}

/**
 * A new code for an open challenge: it replaces the old one; attempts already made still count.
 * `screen` runs the deployment's checks on the identifier (rate limits, denylist) before anything
 * is claimed or sent; a resend is a send, and counts like one.
 */
export async function resendChallenge(
  deps: ChallengeDeps,
  input: {
    challengeId: string;
    locale?: string | undefined;
    screen?: (identifier: Identifier) => Promise<unknown>;
  },
): Promise<ChallengeView> {
  const { config } = deps;
  const { now, code, codeHash, expiresAt } = await freshCode(deps, input.challengeId);
  // Refusing early only saves work (and the identifier's budget); the conditional write decides.
  const current = await deps.store.find(input.challengeId);
  const early = resendRefusal(current, now, config.code);
  if (early || !current) throw early ?? new ChallengeClosed();
  await input.screen?.(normalizeIdentifier(current.destination));
  const claim = await deps.store.claimResend({
    challengeId: input.challengeId,
    codeHash,
    now,
    expiresAt,
    cooldownMs: config.code.resendCooldownSeconds * 1000,
    maxSends: config.code.maxSends,
    maxAttempts: config.code.maxAttempts,
  });
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
        ...renderCodeEmail({ code, minutes, productName: deps.config.productName, locale }),
        tags: context,
      });
    } else {
      await deps.sms.send({
        to: record.destination,
        text: renderCodeSms({ code, minutes, productName: deps.config.productName, locale }),
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

/**
 * Checks a code. Each call spends one attempt *before* the comparison, so parallel guesses can
 * never test more than `maxAttempts` codes; the match is then consumed by one conditional write.
 * Every failure answers the same InvalidCode.
 */
export async function verifyCode(
  deps: Pick<ChallengeDeps, 'store' | 'clock' | 'config' | 'pepper'> & { lockout?: Lockout },
  input: { challengeId: string; code: string },
): Promise<ChallengeRecord> {
  const { config, clock, store } = deps;
  if (!/^\d{6,8}$/.test(input.code)) throw new InvalidCode();
  // Read before an attempt is spent: a pepper that cannot be read must not cost the user a guess.
  const pepper = await deps.pepper();
  const now = clock.now();
  const record = await store.countAttempt(input.challengeId, now, config.code.maxAttempts);
  if (!record) throw new InvalidCode();
  const presented = hashCode(pepper, input.challengeId, input.code);
  if (record.codeLength !== input.code.length || !sameHash(record.codeHash, presented)) {
    await deps.lockout?.recordFailure(record.identifierKey, now);
    throw new InvalidCode();
  }
  if (!(await store.consume(input.challengeId, presented, now))) throw new InvalidCode();
  return record;
}

/**
 * Too many wrong codes in a row for one identifier, across challenges, disable it: the identifier
 * is put on the denylist (no new starts or resends) until an operator removes the entry. A
 * successful sign-in clears the run (`UserStore.recordLogin`).
 */
export class Lockout {
  readonly #users: UserStore;
  readonly #denylist: DenylistStore;
  readonly #limit: number;

  constructor(users: UserStore, denylist: DenylistStore, limit: number) {
    this.#users = users;
    this.#denylist = denylist;
    this.#limit = limit;
  }

  async recordFailure(identifierKey: string, now: number): Promise<void> {
    const failures = await this.#users.recordFailure(identifierKey, now);
    // At or past the limit, not just at it: a deny that failed once is written by the next failure.
    if (failures >= this.#limit) await this.#denylist.deny(identifierKey, 'consecutive-failures', now);
  }
}
