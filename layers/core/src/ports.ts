/**
 * The ports the domain talks through. Adapters (DynamoDB, SES, SNS, HTTP verifiers) implement them;
 * the domain never imports an AWS SDK.
 */
import type { CaptchaVerdict } from './captcha.ts';
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

/** One version of a secret: its id, its value, and when Secrets Manager created it (ms). */
export type SecretVersion = { versionId: string; value: string; createdAt: number };

/**
 * A secret's versions and staging labels (AWSCURRENT, AWSPENDING, AWSPREVIOUS), as a rotation
 * function handles them: uncached, read and written where Secrets Manager keeps them.
 */
export interface SecretVersions {
  /** Whether rotation is turned on for the secret, and each version's staging labels. */
  describe(secretId: string): Promise<{ rotationEnabled: boolean; stages: Record<string, string[]> }>;
  /**
   * The version that carries `stage` (and is `versionId`, when given); undefined when none does or
   * it holds no value yet (the empty version a rotation starts with).
   */
  read(secretId: string, stage: string, versionId?: string): Promise<SecretVersion | undefined>;
  /**
   * A new version holding `value`, with `stages` (Secrets Manager's default: AWSCURRENT, the old
   * current becoming AWSPREVIOUS). `versionId` makes it idempotent: put again, the same value is
   * the same version. Answers the version's id.
   */
  put(secretId: string, value: string, options?: { versionId?: string; stages?: string[] }): Promise<string>;
  /** Moves `stage` to version `to` from `from`, or (no `to`) takes it off `from`. */
  moveStage(secretId: string, stage: string, move: { to?: string; from?: string }): Promise<void>;
}

/**
 * What a magic-link challenge holds beside its code: the SHA-256 of the current send's link token
 * (never the token), and what start bound it to: the app page it continues to and the PKCE code
 * challenge (base64url SHA-256 of the verifier the starting browser keeps).
 */
export type MagicLinkBinding = { linkHash: string; redirectUri: string; codeChallenge: string };

/**
 * Stored state of a sign-in challenge. The code itself is never stored, only its HMAC; a magic
 * link's token only its SHA-256.
 */
export type ChallengeRecord = {
  challengeId: string;
  identifierKey: string;
  channel: Channel;
  destination: string;
  /** A code alone, or a magic link with a code beside it; absent on older items: `otp`. */
  method: SignInMethod;
  /** Magic-link challenges only. */
  link?: MagicLinkBinding | undefined;
  codeHash: string;
  codeLength: number;
  status: 'pending' | 'used';
  attempts: number;
  sends: number;
  createdAt: number;
  lastSentAt: number;
  expiresAt: number;
};

/** Where a request comes from: the socket's address, and the ASN a trusted proxy names. */
export type Source = { ip?: string | undefined; asn?: string | undefined };

/**
 * What a browser or app reports about the device it runs on (the `device` field of start, verify,
 * token and POST /v1/devices). Every attribute is the client's own claim: it tells a person's
 * laptop from their phone, and a refresh token replayed elsewhere from the device it was issued
 * to, not a determined attacker who copies every attribute. At least one attribute is present.
 */
export type DeviceDescription = {
  /** The person's own name for it ("Ada's laptop"). */
  name?: string;
  /** `navigator.userAgent`; the request's User-Agent header when the body names none. */
  userAgent?: string;
  /** `navigator.platform` or the OS's name ("MacIntel", "iOS"). */
  platform?: string;
  /** BCP 47, e.g. `en-GB`. */
  language?: string;
  /** IANA, e.g. `Europe/London`. */
  timezone?: string;
  /** `<width>x<height>` in CSS pixels. */
  screen?: string;
  colorDepth?: number;
  hardwareConcurrency?: number;
  deviceMemory?: number;
  touchPoints?: number;
};

/** A device's public key as the app registered it: a public JWK, EC P-256 or OKP Ed25519. */
export type DevicePublicKey =
  | { kty: 'EC'; crv: 'P-256'; x: string; y: string }
  | { kty: 'OKP'; crv: 'Ed25519'; x: string };

/**
 * One of a user's devices: recognised at sign-in (or created by POST /v1/devices), named and bound
 * by POST /v1/devices, revoked by DELETE /v1/devices/{id}. It holds no identifier.
 */
export type DeviceRecord = {
  /** `dev_` and 16 random bytes, base64url. */
  deviceId: string;
  userId: string;
  /** The person's name for it, once bound. */
  name?: string;
  /** What it said about itself (DeviceDescription without the name), the reference later sightings are compared with. */
  attributes: DeviceDescription;
  publicKey?: DevicePublicKey;
  createdAt: number;
  lastSeenAt: number;
  /** When POST /v1/devices last bound it. */
  boundAt?: number;
  revokedAt?: number;
  /** The /24 or /48 network it was last seen from, or `unknown`. */
  lastNetwork: string;
};

export type DeviceBinding = {
  name?: string;
  attributes: DeviceDescription;
  publicKey?: DevicePublicKey;
  now: number;
};

export interface DeviceStore {
  /** Records a new device; its id is never taken twice. */
  create(device: DeviceRecord): Promise<void>;
  /**
   * Records a new device and binds the user's session `sessionId` to it, both or neither: only a
   * session that stands and is bound to no device yet. False when that session is ended or bound.
   */
  createForSession(device: DeviceRecord, sessionId: string): Promise<boolean>;
  /** Every device of the user, revoked ones too (strongly consistent). */
  list(userId: string): Promise<DeviceRecord[]>;
  /** The device, if the user has it (strongly consistent). */
  find(userId: string, deviceId: string): Promise<DeviceRecord | undefined>;
  /**
   * Notes a sighting: `lastSeenAt`, its network, and the attributes it named now over those it named
   * before. False, and nothing written, when the device is revoked or unknown.
   */
  touch(
    userId: string,
    deviceId: string,
    sighting: { now: number; network: string; attributes: DeviceDescription },
  ): Promise<boolean>;
  /**
   * Binds the device: its name, attributes and public key become the binding's, all at once (a key
   * the binding leaves out is removed). The device as bound, or undefined when it is revoked or unknown.
   */
  bind(userId: string, deviceId: string, binding: DeviceBinding): Promise<DeviceRecord | undefined>;
  /** Revokes the device; `revoked` for exactly one caller, `already-revoked` for the others. */
  revoke(userId: string, deviceId: string, now: number): Promise<'revoked' | 'already-revoked' | 'unknown'>;
}

/** A fixed-window send budget: named counters on one item, each with its limit. */
export type Budget = { key: string; counters: { name: string; limit: number }[] };

/** The budgets one send spends, in the window that contains `now`. */
export type BudgetSpend = { budgets: Budget[]; windowSeconds: number; now: number };

/** A budget refused the send; nothing was counted and nothing claimed. */
export type OverBudget = { outcome: 'over-budget' };

export type SendClaim =
  /** Claimed and spent: deliver it. */
  | { outcome: 'claimed' }
  /** This send number was claimed before: a retried step. Nothing may be sent again. */
  | { outcome: 'already-claimed'; record: ChallengeRecord }
  /** The challenge refused it (cool-down, send cap, closed); `record` is the challenge as it stood. */
  | { outcome: 'refused'; record: ChallengeRecord | undefined }
  | OverBudget;

/**
 * A lockout lock (one identifier, or one identifier from one source network): the wrong codes
 * since its owner last signed in (`used`, attempts are spent before comparing), the count at which
 * it blocks (`allowance`), how many networks spent from it, and how many blocks it has served.
 */
export type LockState = {
  used: number;
  allowance: number;
  networks: string[];
  cycle: number;
  lastAttemptAt: number;
  /** Markers only: when the marker stops counting (ms). */
  until?: number;
};

/**
 * One attempt to spend from a lock; `allowance` applies when the lock is new. With `network`, the
 * network is recorded, and until two networks have spent from the lock it keeps granting past its
 * allowance, up to `ceiling`. `countOnly`: the attempt is counted and never refused.
 */
export type LockSpend = {
  key: string;
  allowance: number;
  network?: string;
  ceiling?: number;
  countOnly?: boolean;
};

export type AttemptResult =
  | { outcome: 'counted' }
  /** Unknown, expired, used, or out of attempts. */
  | { outcome: 'closed' }
  /** A lock had no attempt left; nothing was counted. */
  | { outcome: 'locked'; key: string; state: LockState };

export interface ChallengeStore {
  /**
   * Creates the challenge with send number 1 and spends its budgets, all or nothing. A challenge
   * that exists is not created again and spends nothing; one whose send was released is claimed
   * again without spending twice, while it is still open (pending, unexpired, below `maxAttempts`).
   */
  claimFirstSend(record: ChallengeRecord, spend: BudgetSpend, maxAttempts: number): Promise<SendClaim>;
  /** The challenge as it stands (strongly consistent), for checks that only save work. */
  find(challengeId: string): Promise<ChallengeRecord | undefined>;
  /**
   * Claims send number `sendNumber` (2 and up): replaces the code, counts the send and spends the
   * budgets, all or nothing, if the challenge is at send `sendNumber - 1` and the cool-down, send
   * cap, attempt limit and every budget allow it. A send number claimed before is `already-claimed`;
   * one released after a failed delivery is claimed again without spending twice.
   */
  claimResend(input: {
    challengeId: string;
    sendNumber: number;
    codeHash: string;
    /** A magic-link challenge's new link: it replaces the old one, which stops working. */
    linkHash?: string | undefined;
    codeLength: number;
    now: number;
    expiresAt: number;
    cooldownMs: number;
    maxSends: number;
    maxAttempts: number;
    spend: BudgetSpend;
  }): Promise<SendClaim>;
  /**
   * Gives a send back after the provider failed, if the challenge still holds `codeHash`: the send
   * stops counting and the undelivered code (and link) stop working.
   */
  releaseSend(challengeId: string, codeHash: string): Promise<void>;
  /**
   * Counts one attempt on the challenge (pending, unexpired, below `maxAttempts`) and one on each
   * lock (below its allowance), all or nothing.
   */
  countAttempt(input: {
    challengeId: string;
    now: number;
    maxAttempts: number;
    locks: LockSpend[];
  }): Promise<AttemptResult>;
  /** Marks the challenge used if it still holds `codeHash`; true for exactly one caller. */
  consume(challengeId: string, codeHash: string, now: number): Promise<boolean>;
  /**
   * Marks the challenge used if it is open (pending, unexpired, below `maxAttempts`) and still
   * holds `linkHash`; true for exactly one caller.
   */
  consumeLink(input: {
    challengeId: string;
    linkHash: string;
    now: number;
    maxAttempts: number;
  }): Promise<boolean>;
}

export type User = { userId: string; identifierKey: string; createdAt: number };

export interface UserStore {
  /** Sign-up-or-sign-in: returns the user for the identifier, creating it with `newUserId` if absent. */
  recordLogin(identifierKey: string, newUserId: string, now: number): Promise<User>;
  /** The identifier's user, if it ever signed in. */
  find(identifierKey: string): Promise<User | undefined>;
}

export type SessionRecord = {
  sessionId: string;
  userId: string;
  identifierKey: string;
  createdAt: number;
  absoluteExpiresAt: number;
  /** How the person proved themselves when the session opened. */
  method: SignInMethod;
  /** The /24 or /48 it was opened from (`unknown` without a source address). */
  network: string;
  /** The device it is bound to: a refresh token works only from there. */
  deviceId?: string;
};

export type SignInMethod = 'otp' | 'magic_link';

/** Why a session ended before its time. */
export type SessionEndReason = 'logout' | 'user' | 'device' | 'reuse' | 'operator';

/**
 * A session as its owner lists it (GET /v1/me) and the authorizer checks it: one item per session
 * in the accounts table, under its user.
 */
export type SessionSummary = SessionRecord & {
  /** The sign-in or the last refresh (ms). */
  lastSeenAt: number;
  revokedAt?: number;
  endedBy?: SessionEndReason;
};

export type RotateResult =
  | { outcome: 'rotated'; session: SessionRecord }
  /**
   * The token was used before: the whole session (token family) has been revoked; `ended` for the
   * one presentation that ended a live session.
   */
  | { outcome: 'reused'; session: SessionRecord; ended: boolean }
  /** `accept` refused the token's session (another device): nothing was rotated or ended. */
  | { outcome: 'refused' }
  | { outcome: 'invalid' };

export interface SessionStore {
  createSession(session: SessionRecord, refreshTokenHash: string, refreshExpiresAt: number): Promise<void>;
  rotateRefreshToken(input: {
    oldTokenHash: string;
    newTokenHash: string;
    now: number;
    idleSeconds: number;
    /**
     * Asked about the session of a token that would rotate (active), before anything is written: false
     * leaves the token as it was. A spent token is judged as reuse whatever this says.
     */
    accept?: (session: SessionRecord) => Promise<boolean>;
  }): Promise<RotateResult>;
  /**
   * Ends the session the token belongs to (logout), whatever the token's state; its session, if
   * any, and whether this call ended it (false when it had ended before).
   */
  revokeByRefreshToken(
    tokenHash: string,
    now: number,
  ): Promise<{ session: SessionSummary; ended: boolean } | undefined>;
  /**
   * Ends every session of the identifier opened before `now`; later sign-ins are unaffected. With
   * the user's id, each of their sessions is also ended one by one, so the authorizer refuses its
   * access tokens at once.
   */
  revokeAll(identifierKey: string, now: number, userId?: string): Promise<void>;
  /** The session's summary (strongly consistent): what the authorizer checks on every request. */
  findSession(userId: string, sessionId: string): Promise<SessionSummary | undefined>;
  /** The user's sessions that are not ended and not past their absolute expiry (strongly consistent). */
  listSessions(userId: string, now: number): Promise<SessionSummary[]>;
  /**
   * Ends one session: no token of it rotates again and the authorizer refuses its access tokens.
   * True for the one call that ended a live session; false if it had ended or does not exist.
   */
  endSession(userId: string, sessionId: string, now: number, reason: SessionEndReason): Promise<boolean>;
}

export interface CounterStore {
  /** Each budget's counters in the window containing `now` (strongly consistent), counting nothing. */
  peek(budgets: Budget[], windowSeconds: number, now: number): Promise<Record<string, number>[]>;
}

export interface LockStore {
  /** The locks as they stand (strongly consistent); absent locks are undefined. */
  read(keys: string[]): Promise<(LockState | undefined)[]>;
  /** Starts the lock's next cycle, allowing `more` attempts, if it still stands as `seen`. */
  reopen(key: string, seen: LockState, more: number): Promise<void>;
  /** Forgets the locks (a successful sign-in). */
  clear(keys: string[]): Promise<void>;
  /** Writes a marker that counts until `until` (read back as a state with `until`). */
  mark(key: string, until: number): Promise<void>;
  /** Claims the one notice `key` stands for until `until`; true for exactly one caller. */
  claimNotice(key: string, until: number, now: number): Promise<boolean>;
}

/** Why an identifier or domain is denied, and until when. */
export type DenylistEntry = {
  /** `email#…`, `phone#…` (screeningKey) or `domain#…`. */
  key: string;
  /** `bounce`, `complaint`, `sms-failure` (delivery feedback) or the operator's own words. */
  reason: string;
  /** What put it there: the feedback event (`aws.ses:<event id>/<feedback id>`) or `operator`. */
  source: string;
  deniedAt: number;
  /** Absent: until an operator removes it. */
  expiresAt?: number;
};

export interface DenylistStore {
  /** The entries among `keys` that stand now (expired ones do not), in the order of `keys`. */
  standing(keys: string[]): Promise<DenylistEntry[]>;
  /** Writes the entry, replacing any entry for its key. */
  deny(entry: DenylistEntry): Promise<void>;
  /**
   * Writes delivery feedback's entry unless it would change nothing or take something away: the same
   * event (its `source`) already wrote it (`duplicate`), or a standing entry an operator wrote, or one
   * that lasts at least as long, already blocks the key (`outranked`). One conditional write, so
   * concurrent deliveries of one event write once.
   */
  denyOnFeedback(entry: DenylistEntry & { expiresAt: number }): Promise<'denied' | 'duplicate' | 'outranked'>;
  /** Lifts any entry for `key`. */
  allow(key: string): Promise<void>;
  /** Every entry that stands now. */
  list(): Promise<DenylistEntry[]>;
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
  /**
   * The provider's answer, for captcha.ts to judge; throws ProviderUnavailable when the provider
   * cannot tell (unreachable, 5xx, an answer that is no siteverify answer, our secret refused).
   */
  verify(token: string, remoteIp: string | undefined): Promise<CaptchaVerdict>;
}

/**
 * An `authkit` event on the account's default bus: the feedback loop's rules route some of them
 * (an SMS the provider refused for good), and apps may subscribe to any of them.
 */
export type AppEvent = { detailType: string; detail: Record<string, unknown> };

/** Where an SMS goes, for the pumping breaker: its country, or its number range (sms-breaker.ts). */
export type BreakerScope = { scope: 'country' | 'prefix'; value: string };

/** One fixed window's SMS sends and successful sign-ins of a breaker scope. */
export type BreakerCounts = { sends: number; verified: number };

/**
 * A scope's trip: captcha is asked for until `until`; the sliding counts it tripped on (`sends`,
 * `verified`), and its fixed window's counts at that moment (`baseline`), which a later judgement
 * leaves out.
 */
export type BreakerTrip = {
  trippedAt: number;
  until: number;
  sends: number;
  verified: number;
  baseline: BreakerCounts & { windowStart: number };
};

/** The fixed window of `windowSeconds` that contains `now`. */
export type BreakerWindow = { windowSeconds: number; now: number };

/**
 * The SMS-pumping breaker's counters and trips (counters table). Counts are atomic adds; a trip is
 * a conditional write, so of many callers that judge a scope tripped at once, one writes it.
 */
export interface SmsBreakerStore {
  /** Adds one to `counter` of each scope in the window; each window's counts as they now stand. */
  count(
    scopes: BreakerScope[],
    counter: keyof BreakerCounts,
    window: BreakerWindow,
  ): Promise<BreakerCounts[]>;
  /** Each scope's counts in the window before the one containing `now`, and its last trip, standing or lapsed. */
  history(
    scopes: BreakerScope[],
    window: BreakerWindow,
  ): Promise<{ previous: BreakerCounts; trip: BreakerTrip | undefined }[]>;
  /** Each scope's last trip, standing or lapsed (eventually consistent). */
  trips(scopes: BreakerScope[]): Promise<(BreakerTrip | undefined)[]>;
  /**
   * Writes the trip unless one stands at its `trippedAt`; true for exactly one caller. The record is
   * kept until `keepUntil`, past its lapse, because the next judgement leaves out its baseline.
   */
  trip(scope: BreakerScope, trip: BreakerTrip, keepUntil: number): Promise<boolean>;
}

export interface EventPublisher {
  /** Publishes every event or throws: an entry EventBridge refused is an error, never dropped. */
  publish(events: AppEvent[]): Promise<void>;
}

/**
 * One audit record: whom it is about (`subject`: `id#<reference>` for an identifier, see audit.ts),
 * when, what happened, and facts that hold no secret and no full identifier.
 */
export type AuditRecord = {
  subject: string;
  at: number;
  action: string;
  facts: Record<string, string | number>;
};

/** One page of a subject's records, newest first, and where the next (older) page starts. */
export type AuditPage = { records: AuditRecord[]; next: string | undefined };

export interface AuditLog {
  /** Appends the record; records of one subject read back in time order. */
  record(record: AuditRecord): Promise<void>;
  /**
   * Up to `limit` of the subject's records, newest first, as written (strongly consistent), older
   * than the position `after` if given (a page's `next`). A position only orders records within the
   * subject named here: it cannot reach another subject's.
   */
  read(subject: string, page: { limit: number; after?: string | undefined }): Promise<AuditPage>;
}
