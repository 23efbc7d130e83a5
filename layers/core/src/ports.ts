/**
 * The ports the domain talks through. Adapters (DynamoDB, SES, SNS, HTTP verifiers) implement them;
 * the domain never imports an AWS SDK.
 */
import type { Channel } from './identifier.ts';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface Random {
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  bytes(length: number): Buffer;
}

/**
 * Secret material (the code pepper, the signing-key seed, a captcha secret) as it stands now. Ask
 * each time the value is needed, never keep it: a secret can be rotated while a function is warm,
 * and the adapter behind the source (Secrets Manager, cached) decides how soon that is seen.
 */
export type SecretSource = () => Promise<string>;

/** Stored state of a one-time-code challenge. The code itself is never stored, only its HMAC. */
export type ChallengeRecord = {
  challengeId: string;
  identifierKey: string;
  channel: Channel;
  destination: string;
  codeHash: string;
  codeLength: number;
  status: 'pending' | 'used';
  attempts: number;
  sends: number;
  createdAt: number;
  lastSentAt: number;
  expiresAt: number;
};

export type ClaimSendResult =
  | { outcome: 'claimed'; record: ChallengeRecord }
  /** This send number was claimed before: a retried step. Nothing may be sent again. */
  | { outcome: 'already-claimed'; record: ChallengeRecord }
  /** Unknown, expired, used or locked. */
  | { outcome: 'closed' };

export type ResendClaim =
  | { outcome: 'claimed'; record: ChallengeRecord }
  /** A limit refused it; `record` is the challenge as it stood, if it exists. */
  | { outcome: 'refused'; record: ChallengeRecord | undefined };

export interface ChallengeStore {
  /** Creates the challenge with send number 1, unless it already exists. */
  claimFirstSend(record: ChallengeRecord): Promise<ClaimSendResult>;
  /** The challenge as it stands (strongly consistent), for checks that only save work. */
  find(challengeId: string): Promise<ChallengeRecord | undefined>;
  /** Replaces the code and counts a send if the cool-down, send cap and attempt limit allow it. */
  claimResend(input: {
    challengeId: string;
    codeHash: string;
    now: number;
    expiresAt: number;
    cooldownMs: number;
    maxSends: number;
    maxAttempts: number;
  }): Promise<ResendClaim>;
  /**
   * Gives a send back after the provider failed, if the challenge still holds `codeHash`: the send
   * stops counting and the undelivered code stops working.
   */
  releaseSend(challengeId: string, codeHash: string): Promise<void>;
  /**
   * Counts one attempt if the challenge is pending, unexpired and below `maxAttempts`; returns the
   * record as it is after counting, or undefined when no attempt may be made.
   */
  countAttempt(challengeId: string, now: number, maxAttempts: number): Promise<ChallengeRecord | undefined>;
  /** Marks the challenge used if it still holds `codeHash`; true for exactly one caller. */
  consume(challengeId: string, codeHash: string, now: number): Promise<boolean>;
}

export type User = { userId: string; identifierKey: string; createdAt: number };

export interface UserStore {
  /**
   * Sign-up-or-sign-in: returns the user for the identifier, creating it with `newUserId` if
   * absent, and clears its run of failed verifies.
   */
  recordLogin(identifierKey: string, newUserId: string, now: number): Promise<User>;
  /** Counts one failed verify for the identifier; returns the failures in a row so far. */
  recordFailure(identifierKey: string, now: number): Promise<number>;
}

export type SessionRecord = {
  sessionId: string;
  userId: string;
  identifierKey: string;
  createdAt: number;
  absoluteExpiresAt: number;
};

export type RotateResult =
  | { outcome: 'rotated'; session: SessionRecord }
  /** The token was used before: the whole session (token family) has been revoked. */
  | { outcome: 'reused' }
  | { outcome: 'invalid' };

export interface SessionStore {
  createSession(session: SessionRecord, refreshTokenHash: string, refreshExpiresAt: number): Promise<void>;
  rotateRefreshToken(input: {
    oldTokenHash: string;
    newTokenHash: string;
    now: number;
    idleSeconds: number;
  }): Promise<RotateResult>;
  revokeByRefreshToken(tokenHash: string, now: number): Promise<void>;
}

/** `counts`: each named counter after this hit (when allowed). */
export type CounterHit = { allowed: boolean; retryAfterMs: number; counts?: Record<string, number> };

export interface CounterStore {
  /**
   * Counts one hit on each named counter of one item, in the fixed window containing `now`, only
   * if every counter is still below its limit: all or nothing, in one conditional write.
   */
  hit(
    key: string,
    counters: { name: string; limit: number }[],
    windowSeconds: number,
    now: number,
  ): Promise<CounterHit>;
}

export interface DenylistStore {
  /** The first of `keys` that is denied, if any. */
  findDenied(keys: string[]): Promise<string | undefined>;
  /** Denies `key` until an operator removes the entry. */
  deny(key: string, reason: string, now: number): Promise<void>;
}

export type EmailMessage = {
  to: string;
  subject: string;
  text: string;
  html: string;
  tags: Record<string, string>;
};

export interface Mailer {
  send(message: EmailMessage): Promise<{ messageId: string }>;
}

export type SmsMessage = { to: string; text: string; context: Record<string, string> };

export interface SmsSender {
  send(message: SmsMessage): Promise<{ messageId: string }>;
}

export interface CaptchaVerifier {
  /** True when the provider accepts the token; throws ProviderUnavailable when it cannot tell. */
  verify(token: string, remoteIp: string | undefined): Promise<boolean>;
}
