/**
 * Audit records and refusal counts. A record names its identifier by a keyed reference (HMAC-SHA256
 * of the screening key under the audit key), never in full: a bare hash of a phone number is
 * reversed by hashing every number of the country, which the key prevents. The masked identifier
 * beside it is for reading; the reference is for finding every record of one identifier.
 */
import { createHmac } from 'node:crypto';
import {
  AuthKitError,
  ERRORS,
  type ErrorName,
  InvalidRequest,
  RATE_LIMIT_RULES,
  type RateLimited,
} from './errors.ts';
import { type Identifier, maskIdentifier, normalizeIdentifier, screeningKey } from './identifier.ts';
import type { AuditLog, AuditRecord, Clock, DeviceDescription, SecretSource, Source } from './ports.ts';
import { networkOf } from './rate-limits.ts';

export type AuditDeps = { audit: AuditLog; auditKey: SecretSource; clock: Clock };

/** The subject an identifier's records are kept under; the same for every form it folds from. */
export async function auditSubject(auditKey: SecretSource, identifier: Identifier): Promise<string> {
  return `id#${createHmac('sha256', await auditKey())
    .update(screeningKey(identifier))
    .digest('base64url')}`;
}

/** The rule an error's refusal is counted under when no rule tagged it (refusedBy). */
const REFUSAL_RULES: Partial<Record<AuthKitError['name'], (error: AuthKitError) => string>> = {
  IdentifierRejected: () => 'identifier-rejected',
  RateLimited: (error) => (error as RateLimited).rule,
  CaptchaRequired: () => 'captcha-required',
  CaptchaInvalid: () => 'captcha-invalid',
  ChallengeClosed: () => 'challenge-closed',
};

/**
 * The rule that refused a send, or undefined when the error is no refusal (an outage, bad input).
 * A rule the refusing step named wins, whatever the error (a captcha outage answers 503, yet its
 * `captcha-unavailable` is a refusal the operator must see).
 */
export function refusalRuleOf(error: unknown): string | undefined {
  if (!(error instanceof AuthKitError)) return undefined;
  return error.refusalRule ?? REFUSAL_RULES[error.name]?.(error);
}

export type RefusalDeps = AuditDeps & {
  /** Counts the refusal under its rule (a metric). */
  count: (rule: string) => void;
  /** The audit write failed: the caller's answer stands, the failure is counted and logged. */
  warn: (error: unknown) => void;
};

export type Refusal = {
  error: unknown;
  challengeId: string;
  /** Absent when a resend names no challenge there is: the refusal is counted, not audited. */
  identifier: string | undefined;
  sourceIp: string | undefined;
  requestId: string;
  /** What the client said of its device (start's `device`, or its User-Agent). */
  device?: DeviceDescription | undefined;
};

/** The facts of a device a record shows: its name and browser, never more than it needs. */
function deviceFacts(device: DeviceDescription | undefined): Record<string, string> {
  return {
    ...(device?.name ? { deviceName: device.name } : {}),
    ...(device?.userAgent ? { userAgent: device.userAgent.slice(0, 256) } : {}),
  };
}

/** Counts and audits a start or resend the workflow refused; never throws. Other errors pass. */
export async function recordRefusal(deps: RefusalDeps, refusal: Refusal): Promise<void> {
  const rule = refusalRuleOf(refusal.error);
  if (rule === undefined) return;
  deps.count(rule);
  if (refusal.identifier === undefined) return;
  try {
    const identifier = normalizeIdentifier(refusal.identifier);
    await deps.audit.record({
      subject: await auditSubject(deps.auditKey, identifier),
      at: deps.clock.now(),
      action: 'refused',
      facts: {
        rule,
        error: (refusal.error as AuthKitError).name,
        identifier: maskIdentifier(identifier),
        network: (refusal.sourceIp && networkOf(refusal.sourceIp)) || 'unknown',
        challengeId: refusal.challengeId,
        requestId: refusal.requestId,
        ...deviceFacts(refusal.device),
      },
    });
  } catch (error) {
    deps.warn(error);
  }
}

/** Audits an operator's change to an identifier; unlike a refusal's, its failure is the command's. */
export async function recordOperatorChange(
  deps: AuditDeps,
  identifier: Identifier,
  change: { action: string; requestId: string; facts?: Record<string, string | number> },
): Promise<void> {
  await deps.audit.record({
    subject: await auditSubject(deps.auditKey, identifier),
    at: deps.clock.now(),
    action: change.action,
    facts: {
      identifier: maskIdentifier(identifier),
      by: 'operator',
      requestId: change.requestId,
      ...change.facts,
    },
  });
}

/**
 * What happens to a person's account, each an audit record under the same subject as their
 * identifier's refusals and operator changes, so GET /v1/me/activity reads one trail.
 */
export const ACCOUNT_ACTIONS = [
  'signed-in',
  'verify-locked',
  'refresh-reused',
  'refresh-device-mismatch',
  'logged-out',
  'session-ended',
  'device-bound',
  'device-revoked',
] as const;

export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];

export type AccountEvent = {
  /** The account's identifier key (`email#…`, `phone#…`), as users and sessions hold it. */
  identifierKey: string;
  action: AccountAction;
  requestId: string;
  source?: Source;
  sessionId?: string;
  deviceId?: string;
  /** More facts: never a code, a token or a full identifier. */
  facts?: Record<string, string | number>;
};

export type AccountAuditDeps = AuditDeps & {
  /** The audit write failed: the answer stands, the failure is counted and logged. */
  warn: (error: unknown) => void;
};

/**
 * Audits something that happened to an account; never throws. The answer it follows is decided (a
 * session exists, a device is revoked), and a lost audit record must not undo or hide it.
 */
export async function recordAccountEvent(deps: AccountAuditDeps, event: AccountEvent): Promise<void> {
  try {
    const identifier = identifierOfKey(event.identifierKey);
    await deps.audit.record({
      subject: await auditSubject(deps.auditKey, identifier),
      at: deps.clock.now(),
      action: event.action,
      facts: {
        account: await accountReference(deps.auditKey, event.identifierKey),
        identifier: maskIdentifier(identifier),
        network: (event.source?.ip && networkOf(event.source.ip)) || 'unknown',
        requestId: event.requestId,
        ...(event.sessionId ? { sessionId: event.sessionId } : {}),
        ...(event.deviceId ? { deviceId: event.deviceId } : {}),
        ...event.facts,
      },
    });
  } catch (error) {
    deps.warn(error);
  }
}

/**
 * Which account of a subject an account action happened to. A subject is a mailbox (every form that
 * folds to one screening key), but `a+shop@x` and `a@x` are two accounts where `+` is no
 * sub-address: each reads the refusals and operator changes of the mailbox, and only its own
 * sessions and devices.
 */
async function accountReference(auditKey: SecretSource, identifierKey: string): Promise<string> {
  return createHmac('sha256', await auditKey())
    .update(`account:${identifierKey}`)
    .digest('base64url')
    .slice(0, 22);
}

/** The identifier an account's key (`email#…`, `phone#…`) stands for. */
function identifierOfKey(identifierKey: string): Identifier {
  return normalizeIdentifier(identifierKey.slice(identifierKey.indexOf('#') + 1));
}

/** GET /v1/me/activity's page size: the default and the most one page may ask for. */
export const ACTIVITY_PAGE = { defaultLimit: 25, maxLimit: 100 } as const;

/**
 * The facts a person reads of their own trail: what happened, from which network and device, in
 * which session, why (an account action's `reason`: `device`, `another-device`, which device
 * attributes `differing`). Not the request or challenge ids (a refusal's are a stranger's
 * requests), not an operator's own words (their `reason`); a refusal only as its requester was
 * answered (refusalAsAnswered).
 */
const SHOWN_FACTS = [
  'identifier',
  'network',
  'method',
  'channel',
  'sessionId',
  'deviceId',
  'lock',
  'until',
  'by',
  'reason',
  'differing',
  'publicKey',
] as const;

export type TrailDeps = { trail: Pick<AuditLog, 'read'>; auditKey: SecretSource };

export type ActivityItem = { at: string; action: string } & Record<string, string | number>;

export type ActivityPage = { items: ActivityItem[]; nextCursor: string | undefined };

/** A sort key as DynamoAuditLog writes it: ISO time, `#`, a UUID. */
const POSITION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f-]{36}$/;

/**
 * One page of the account's own trail, newest first: every record of its identifier's subject,
 * refusals included (someone tried to sign in as this person). The cursor carries only a position
 * in a trail, and the trail read is always the caller's: a cursor from another account's page
 * reads this account's records older than that moment, never the other account's.
 */
export async function readActivity(
  deps: TrailDeps,
  identifierKey: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<ActivityPage> {
  const after = page.cursor === undefined ? undefined : positionOf(page.cursor);
  const subject = await auditSubject(deps.auditKey, identifierOfKey(identifierKey));
  const { records, next } = await deps.trail.read(subject, { limit: page.limit, after });
  const account = await accountReference(deps.auditKey, identifierKey);
  // Another account of the same mailbox leaves its actions here; a page may come out shorter.
  const own = records.filter(
    (record) => record.facts.account === undefined || record.facts.account === account,
  );
  return {
    items: own.map(toActivityItem),
    nextCursor: next === undefined ? undefined : Buffer.from(next).toString('base64url'),
  };
}

function positionOf(cursor: string): string {
  const position = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!POSITION.test(position)) throw new InvalidRequest('cursor', 'is not a cursor this API returned');
  return position;
}

function toActivityItem(record: AuditRecord): ActivityItem {
  const item: ActivityItem = { at: new Date(record.at).toISOString(), action: record.action };
  if (record.action === 'refused') Object.assign(item, refusalAsAnswered(record.facts));
  for (const fact of SHOWN_FACTS) {
    const value = record.facts[fact];
    if (value !== undefined) item[fact] = value;
  }
  if (record.facts.by === 'operator') delete item.reason;
  return item;
}

/**
 * A refusal as the person who asked was answered: the problem's `code`, and a rate limit's public
 * `rule`. Never the rule behind it that the answer kept back (which list denied the address, the
 * SMS breaker behind a `budget`): shown here, it would tell anyone who signs up with a number or
 * address of their own what the answer hides. The operator reads those (runbook, "Audit records").
 */
function refusalAsAnswered(facts: AuditRecord['facts']): { code: string; rule?: string } {
  const code = Object.hasOwn(ERRORS, String(facts.error)) ? ERRORS[facts.error as ErrorName].code : 'refused';
  const rule = String(facts.rule);
  const told = facts.error === 'RateLimited' && Object.hasOwn(RATE_LIMIT_RULES, rule);
  return told ? { code, rule } : { code };
}
