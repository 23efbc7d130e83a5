/**
 * The sends of a one-time-code challenge, each the workflow's SendChallenge step. Every limit is
 * decided by a conditional write in the ChallengeStore, never by reading a value and writing it
 * back: a send is claimed together with the budgets it spends, and keyed by the challenge id and
 * its send number, so a retried step delivers once and spends once.
 */
import type { Config } from './config.ts';
import { deliverCode, type Messengers } from './delivery.ts';
import { ChallengeClosed, RateLimited } from './errors.ts';
import {
  type Channel,
  type Identifier,
  identifierKey,
  maskIdentifier,
  normalizeIdentifier,
} from './identifier.ts';
import type {
  ChallengeRecord,
  ChallengeStore,
  Clock,
  Random,
  SecretSource,
  SendClaim,
  Source,
} from './ports.ts';
import { overBudget, sendSpend } from './rate-limits.ts';
import { generateCode, hashCode } from './secrets.ts';

export type ChallengeDeps = Messengers & {
  store: ChallengeStore;
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

export type SendRequest = {
  challengeId: string;
  /** 1 for the start's send; each resend asks for the number after the challenge's last send. */
  sendNumber: number;
  identifier: Identifier;
  channel: Channel;
  source: Source;
};

/**
 * Claims send `sendNumber` of the challenge with the budgets it spends, then delivers a fresh code;
 * a resend's code replaces the old one, and attempts already made still count. A send number
 * claimed before (a retried step, or a parallel resend of the same send) answers without sending.
 */
export async function sendChallenge(deps: ChallengeDeps, request: SendRequest): Promise<ChallengeView> {
  const { config } = deps;
  const pepper = await deps.pepper();
  const now = deps.clock.now();
  const code = generateCode(deps.random, config.code.length);
  const codeHash = hashCode(pepper, request.challengeId, code);
  const expiresAt = now + config.code.ttlSeconds * 1000;
  const spend = sendSpend(config.rateLimit, request.identifier, request.source, now);
  const claim: SendClaim =
    request.sendNumber === 1
      ? await deps.store.claimFirstSend(
          {
            challengeId: request.challengeId,
            identifierKey: identifierKey(request.identifier),
            channel: request.channel,
            destination: request.identifier.value,
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
          config.code.maxAttempts,
        )
      : await deps.store.claimResend({
          challengeId: request.challengeId,
          sendNumber: request.sendNumber,
          codeHash,
          now,
          expiresAt,
          cooldownMs: config.code.resendCooldownSeconds * 1000,
          maxSends: config.code.maxSends,
          maxAttempts: config.code.maxAttempts,
          spend,
        });
  if (claim.outcome === 'over-budget') throw overBudget(spend);
  if (claim.outcome === 'refused') throw resendRefusal(claim.record, now, config.code);
  if (claim.outcome === 'claimed') {
    try {
      await deliverCode(deps, claim.record, code);
    } catch (error) {
      // Give the claim back so the workflow's retry (or the user's resend) can send; the code that
      // was never delivered is invalidated with it.
      await deps.store.releaseSend(claim.record.challengeId, claim.record.codeHash);
      throw error;
    }
  }
  return viewOf(claim.record, config.code.resendCooldownSeconds);
}

/** Why a challenge cannot be resent now, in the terms of the HTTP contract. */
export function resendRefusal(
  record: ChallengeRecord | undefined,
  now: number,
  limits: Config['code'],
): ChallengeClosed | RateLimited {
  if (record?.status !== 'pending' || record.expiresAt <= now || record.attempts >= limits.maxAttempts) {
    return new ChallengeClosed();
  }
  if (record.sends >= limits.maxSends) return new RateLimited((record.expiresAt - now) / 1000, 'send-cap');
  const cooledDownAt = record.lastSentAt + limits.resendCooldownSeconds * 1000;
  // Past the cool-down the claim lost to a send claimed or released in between: ask again at once.
  return new RateLimited(Math.max(0, cooledDownAt - now) / 1000, 'cooldown');
}
