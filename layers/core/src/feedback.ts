/**
 * Delivery feedback: what an EventBridge event from SES, End User Messaging SMS or AuthKit's own
 * send step says about an address, and the denylist entries it earns. Only failures that will not
 * heal deny: a Permanent bounce, a complaint, an SMS the number can never receive. Entries use the
 * sign-in's screening key, so feedback about `Ada@Example.com` blocks `ada@example.com`.
 */
import type { Config } from './config.ts';
import { type Channel, normalizeIdentifier, screeningKey } from './identifier.ts';
import type { DenylistEntry, DenylistStore } from './ports.ts';

export type FeedbackReason = 'bounce' | 'complaint' | 'sms-failure';

/**
 * End User Messaging's final statuses that say the number itself cannot receive: it is not a valid
 * number, or the handset or its carrier refuses messages to it. Left out on purpose: statuses about
 * the network or the handset right now (TEXT_UNREACHABLE is a phone switched off,
 * TEXT_CARRIER_UNREACHABLE, TEXT_TTL_EXPIRED), about our message rather than the number
 * (TEXT_CARRIER_BLOCKED, TEXT_SPAM, TEXT_INVALID_MESSAGE), our own protect configuration
 * (TEXT_PROTECT_BLOCKED) and TEXT_UNKNOWN, which AWS says may be temporary.
 */
export const PERMANENT_SMS_EVENT_TYPES: readonly string[] = ['TEXT_INVALID', 'TEXT_BLOCKED'];

/** The feedback an event carries: entries to write, or why it earns none. */
/** Feedback's entries always end: a permanent block is an operator's decision. */
export type FeedbackEntry = DenylistEntry & { expiresAt: number };

export type Feedback =
  | {
      reason: FeedbackReason;
      entries: FeedbackEntry[];
      /** Addresses in the event that are no identifier AuthKit accepts: nothing to deny. */
      unreadable: number;
    }
  | { reason: undefined; ignored: 'not-permanent' | 'switched-off' };

/** An event the rules should never have routed here, or cut short: EventBridge retries it, then dead-letters it. */
export class UnreadableFeedbackEvent extends Error {
  override readonly name = 'UnreadableFeedbackEvent';
}

type Json = Record<string, unknown>;

const SES_SOURCE = 'aws.ses';
const SMS_VOICE_SOURCE = 'aws.sms-voice';
const APP_SOURCE = 'authkit';

/**
 * Reads `event` as feedback for `channel` (the function it reached). Throws UnreadableFeedbackEvent
 * for an event it cannot read, so it is retried and dead-lettered rather than dropped unseen.
 */
export function readFeedback(
  event: unknown,
  channel: Exclude<Channel, 'whatsapp'>,
  settings: Config['feedback'],
  now: number,
): Feedback {
  const envelope = object(event, 'the event');
  const id = text(envelope, 'id');
  const source = text(envelope, 'source');
  const detailType = text(envelope, 'detail-type');
  const deniedAt = Date.parse(text(envelope, 'time'));
  if (Number.isNaN(deniedAt)) throw unreadable('its time is not a date');
  const detail = object(envelope.detail, 'detail');
  const read = reader(channel, source, detailType);
  const found = read(detail);
  if ('ignored' in found) return { reason: undefined, ignored: found.ignored };
  const seconds = lifetime(settings, found.reason);
  if (seconds === 0) return { reason: undefined, ignored: 'switched-off' };
  // Counted from when it is read, not from the event: a redrive days later still blocks for the
  // whole lifetime. A redelivery then asks for a later end than the first delivery wrote, so it is
  // the event id, not the dates, that keeps it from writing again.
  const expiresAt = Math.max(deniedAt, now) + seconds * 1000;
  const keys = new Set<string>();
  let unreadableAddresses = 0;
  for (const address of found.addresses) {
    const key = keyOf(address);
    if (key === undefined) unreadableAddresses++;
    else keys.add(key);
  }
  const origin = `${source}:${id}/${found.reference}`;
  return {
    reason: found.reason,
    entries: [...keys].map((key) => ({ key, reason: found.reason, source: origin, deniedAt, expiresAt })),
    unreadable: unreadableAddresses,
  };
}

/** What one piece of feedback did to the denylist. */
export type FeedbackOutcome = {
  reason: FeedbackReason | undefined;
  /** Entries written or lengthened. */
  denied: number;
  /** Keys this very event had already denied (EventBridge delivers at least once). */
  duplicate: number;
  /** Keys an operator's entry, or one lasting at least as long, already blocks. */
  outranked: number;
  unreadable: number;
  ignored?: Extract<Feedback, { reason: undefined }>['ignored'];
};

/** Reads the event and writes what it earns; a write that changes nothing is counted, not retried. */
export async function recordFeedback(
  deps: { denylist: DenylistStore; settings: Config['feedback']; now: () => number },
  channel: Exclude<Channel, 'whatsapp'>,
  event: unknown,
): Promise<FeedbackOutcome> {
  const feedback = readFeedback(event, channel, deps.settings, deps.now());
  const outcome: FeedbackOutcome = {
    reason: feedback.reason,
    denied: 0,
    duplicate: 0,
    outranked: 0,
    unreadable: 0,
  };
  if (feedback.reason === undefined) return { ...outcome, ignored: feedback.ignored };
  outcome.unreadable = feedback.unreadable;
  const written = await Promise.all(feedback.entries.map((entry) => deps.denylist.denyOnFeedback(entry)));
  for (const result of written) outcome[result]++;
  return outcome;
}

type Found =
  | { reason: FeedbackReason; addresses: unknown[]; reference: string }
  | { ignored: 'not-permanent' };

function reader(channel: string, source: string, detailType: string): (detail: Json) => Found {
  if (channel === 'email' && source === SES_SOURCE) {
    if (detailType === 'Email Bounced') return bounce;
    if (detailType === 'Email Complaint Received') return complaint;
  }
  if (channel === 'sms') {
    if (source === SMS_VOICE_SOURCE && detailType === 'Text Message Delivery Status Updated')
      return smsStatus;
    if (source === APP_SOURCE && detailType === 'SmsDeliveryFailed') return smsDeliveryFailed;
  }
  throw unreadable(`${channel} feedback does not take "${source}" "${detailType}" events`);
}

function bounce(detail: Json): Found {
  const bounced = object(detail.bounce, 'detail.bounce');
  // Transient and Undetermined bounces heal, or SES keeps trying: neither says the address is dead.
  if (text(bounced, 'bounceType') !== 'Permanent') return { ignored: 'not-permanent' };
  return {
    reason: 'bounce',
    addresses: list(bounced, 'bouncedRecipients').map(
      (recipient) => (recipient as Json | null)?.emailAddress,
    ),
    reference: text(bounced, 'feedbackId'),
  };
}

function complaint(detail: Json): Found {
  const complained = object(detail.complaint, 'detail.complaint');
  return {
    reason: 'complaint',
    addresses: list(complained, 'complainedRecipients').map(
      (recipient) => (recipient as Json | null)?.emailAddress,
    ),
    reference: text(complained, 'feedbackId'),
  };
}

function smsStatus(detail: Json): Found {
  const eventType = text(detail, 'eventType');
  // Carrier receipts may come in several events over 72 hours; only the last one is the outcome.
  if (detail.isFinal !== true || !PERMANENT_SMS_EVENT_TYPES.includes(eventType)) {
    return { ignored: 'not-permanent' };
  }
  return {
    reason: 'sms-failure',
    addresses: [detail.destinationPhoneNumber],
    reference: text(detail, 'messageId'),
  };
}

function smsDeliveryFailed(detail: Json): Found {
  if (detail.permanent !== true) return { ignored: 'not-permanent' };
  return {
    reason: 'sms-failure',
    addresses: [detail.destinationPhoneNumber],
    reference: text(detail, 'challengeId'),
  };
}

function lifetime(settings: Config['feedback'], reason: FeedbackReason): number {
  switch (reason) {
    case 'bounce':
      return settings.bounceSeconds;
    case 'complaint':
      return settings.complaintSeconds;
    case 'sms-failure':
      return settings.smsFailureSeconds;
  }
}

/** The address's screening key, or undefined for one no sign-in could use. */
function keyOf(address: unknown): string | undefined {
  if (typeof address !== 'string') return undefined;
  try {
    return screeningKey(normalizeIdentifier(address));
  } catch {
    return undefined;
  }
}

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw unreadable(`${what} is not an object`);
  }
  return value as Json;
}

function text(value: Json, field: string): string {
  const found = value[field];
  if (typeof found !== 'string' || found === '') throw unreadable(`"${field}" is missing or not text`);
  return found;
}

function list(value: Json, field: string): unknown[] {
  const found = value[field];
  if (!Array.isArray(found)) throw unreadable(`"${field}" is missing or not a list`);
  return found;
}

function unreadable(why: string): UnreadableFeedbackEvent {
  return new UnreadableFeedbackEvent(`Unreadable feedback event: ${why}`);
}
