/**
 * The sends of a one-time-code challenge, each the workflow's SendChallenge step. Every limit is
 * decided by a conditional write in the ChallengeStore, never by reading a value and writing it
 * back: a send is claimed together with the budgets it spends, and keyed by the challenge id and
 * its send number, so a retried step delivers once and spends once.
 */
import type { Config } from './config.ts';
import { deliverCode, type Messengers } from './delivery.ts';
import { ChallengeClosed, RateLimited, ServiceUnavailable } from './errors.ts';
import {
  type Channel,
  type Identifier,
  identifierKey,
  maskIdentifier,
  normalizeIdentifier,
} from './identifier.ts';
import { type LinkRequest, magicLinkUrl, newLinkToken } from './magic-link.ts';
import type {
  ChallengeRecord,
  ChallengeStore,
  Clock,
  Random,
  SecretSource,
  SignInMethod,
  Source,
} from './ports.ts';
import { overBudget, sendSpend } from './rate-limits.ts';
import { generateCode, hashCode, hashToken } from './secrets.ts';
import { countSmsSend, type SmsSendWatch } from './sms-breaker.ts';
import { reportSmsFailure, type SmsFeedback } from './sms-feedback.ts';

export type ChallengeDeps = Messengers & {
  store: ChallengeStore;
  clock: Clock;
  random: Random;
  /** The HMAC key of codes, read for every code issued or checked: a rotated pepper applies at once. */
  pepper: SecretSource;
  config: Pick<Config, 'code' | 'product' | 'rateLimit' | 'magicLinkOrigin'>;
  /** Where an SMS refused for good is told (SmsDeliveryFailed); absent: nowhere. */
  feedback?: SmsFeedback;
  /** Counts each delivered SMS for the SMS-pumping breaker. */
  smsBreaker: SmsSendWatch;
};

/** What start and resend answer: never the code, never the full destination. */
export type ChallengeView = {
  challengeId: string;
  channel: Channel;
  method: SignInMethod;
  destination: string;
  expiresAt: string;
  resendAvailableAt: string;
  codeLength: number;
};

/** The fields of a challenge its view shows. */
type Shown = Pick<
  ChallengeRecord,
  'challengeId' | 'channel' | 'method' | 'destination' | 'expiresAt' | 'lastSentAt' | 'codeLength'
>;

export function viewOf(challenge: Shown, cooldownSeconds: number): ChallengeView {
  return {
    challengeId: challenge.challengeId,
    channel: challenge.channel,
    method: challenge.method,
    destination: maskIdentifier(normalizeIdentifier(challenge.destination)),
    expiresAt: new Date(challenge.expiresAt).toISOString(),
    resendAvailableAt: new Date(challenge.lastSentAt + cooldownSeconds * 1000).toISOString(),
    codeLength: challenge.codeLength,
  };
}

export type SendRequest = {
  challengeId: string;
  /** 1 for the start's send; each resend asks for the number after the challenge's last send. */
  sendNumber: number;
  identifier: Identifier;
  channel: Channel;
  source: Source;
  /** Absent: `otp`. */
  method?: SignInMethod | undefined;
  /** A magic link's first send: what start bound it to. Resends keep the challenge's. */
  link?: LinkRequest | undefined;
};

/**
 * Claims send `sendNumber` of the challenge with the budgets it spends, then delivers a fresh code
 * (and, for a magic-link challenge, a fresh link); a resend's code and link replace the old ones,
 * and attempts already made still count. A send number claimed before (a retried step, or a
 * parallel resend of the same send) answers without sending: `delivered` says whether this call
 * sent the code.
 */
export async function sendChallenge(
  deps: ChallengeDeps,
  request: SendRequest,
): Promise<{ view: ChallengeView; delivered: boolean }> {
  const { config } = deps;
  const pepper = await deps.pepper();
  const now = deps.clock.now();
  const code = generateCode(deps.random, config.code.length);
  const method = request.method ?? 'otp';
  const token = method === 'magic_link' ? newLinkToken(deps.random, request.challengeId) : undefined;
  // Refused before anything is claimed; template.yaml's MagicLinksNeedTheirBaseUrl rule keeps a
  // deployment from getting here.
  if (token && !config.magicLinkOrigin.baseUrl) throw new ServiceUnavailable('Magic links have no base URL');
  const linkHash = token && hashToken(token);
  const sent = {
    challengeId: request.challengeId,
    channel: request.channel,
    method,
    destination: request.identifier.value,
    codeHash: hashCode(pepper, request.challengeId, code),
    codeLength: config.code.length,
    lastSentAt: now,
    expiresAt: now + config.code.ttlSeconds * 1000,
  };
  const spend = sendSpend(config.rateLimit, request.identifier, request.source, now);
  const limits = { now, maxAttempts: config.code.maxAttempts };
  if (request.sendNumber === 1 && linkHash && !request.link) {
    throw new Error('the first send of a magic link needs what start bound it to');
  }
  const claim =
    request.sendNumber === 1
      ? await deps.store.claimFirstSend(
          {
            ...sent,
            link: linkHash && request.link ? { ...request.link, linkHash } : undefined,
            identifierKey: identifierKey(request.identifier),
            status: 'pending',
            attempts: 0,
            sends: 1,
            createdAt: now,
          },
          spend,
          limits.maxAttempts,
        )
      : await deps.store.claimResend({
          ...sent,
          linkHash,
          ...limits,
          sendNumber: request.sendNumber,
          cooldownMs: config.code.resendCooldownSeconds * 1000,
          maxSends: config.code.maxSends,
          spend,
        });
  if (claim.outcome === 'over-budget') throw overBudget(spend);
  if (claim.outcome === 'refused') {
    // Nothing in the record refusing it means the claim lost to a send claimed or released in
    // between: the client may ask again at once.
    throw resendRefusal(claim.record, now, config.code) ?? new RateLimited(1, 'cooldown');
  }
  if (claim.outcome === 'already-claimed') {
    return { view: viewOf(claim.record, config.code.resendCooldownSeconds), delivered: false };
  }
  try {
    await deliverCode(deps, sent, code, token && magicLinkUrl(config.magicLinkOrigin.baseUrl, token));
  } catch (error) {
    // Give the claim back so the workflow's retry (or the user's resend) can send; the code that
    // was never delivered is invalidated with it. The refusal is told first, so a failed release
    // cannot lose it.
    if (deps.feedback && sent.channel === 'sms') await reportSmsFailure(deps.feedback, error, sent);
    await deps.store.releaseSend(sent.challengeId, sent.codeHash);
    throw error;
  }
  // Counted once delivered: a claim released after a failed delivery and claimed again by the
  // retry delivers, and counts, once.
  if (request.identifier.kind === 'phone') {
    await countSmsSend(deps.smsBreaker, request.identifier).catch((error) =>
      deps.smsBreaker.warn('the SMS breaker', error),
    );
  }
  return { view: viewOf(sent, config.code.resendCooldownSeconds), delivered: true };
}

/** Why a challenge cannot be resent now, in the terms of the HTTP contract; undefined if it can. */
export function resendRefusal(
  record: ChallengeRecord | undefined,
  now: number,
  limits: Config['code'],
): ChallengeClosed | RateLimited | undefined {
  if (record?.status !== 'pending' || record.expiresAt <= now || record.attempts >= limits.maxAttempts) {
    return new ChallengeClosed();
  }
  if (record.sends >= limits.maxSends) return new RateLimited((record.expiresAt - now) / 1000, 'send-cap');
  const cooledDownAt = record.lastSentAt + limits.resendCooldownSeconds * 1000;
  if (cooledDownAt > now) return new RateLimited((cooledDownAt - now) / 1000, 'cooldown');
  return undefined;
}
