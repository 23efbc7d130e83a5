/** The samples in events/feedback/, made fresh for one spec: a new event id, the addresses it names. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../local/runtime.ts';

type Json = Record<string, unknown>;
export type FeedbackEvent = Json & { id: string; time: string; detail: Json };

function sample(file: string): FeedbackEvent {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'events/feedback', file), 'utf8')) as FeedbackEvent;
}

function fresh(event: FeedbackEvent, time: number | undefined): FeedbackEvent {
  return {
    ...event,
    id: randomUUID(),
    ...(time === undefined ? {} : { time: new Date(time).toISOString() }),
  };
}

export function sesBounce(
  bounceType: 'Permanent' | 'Transient' | 'Undetermined',
  recipients: unknown[],
  time?: number,
): FeedbackEvent {
  const event = fresh(sample('ses-bounce-permanent.json'), time);
  const bounce = event.detail.bounce as Json;
  const [recipient] = bounce.bouncedRecipients as Json[];
  return {
    ...event,
    detail: {
      ...event.detail,
      bounce: {
        ...bounce,
        bounceType,
        bouncedRecipients: recipients.map((emailAddress) => ({ ...recipient, emailAddress })),
      },
    },
  };
}

export function sesComplaint(recipients: string[], time?: number): FeedbackEvent {
  const event = fresh(sample('ses-complaint.json'), time);
  const complaint = event.detail.complaint as Json;
  return {
    ...event,
    detail: {
      ...event.detail,
      complaint: { ...complaint, complainedRecipients: recipients.map((emailAddress) => ({ emailAddress })) },
    },
  };
}

export function smsVoiceStatus(
  eventType: string,
  destinationPhoneNumber: string,
  options: { isFinal?: boolean; time?: number } = {},
): FeedbackEvent {
  const event = fresh(sample('sms-voice-text-invalid.json'), options.time);
  return {
    ...event,
    detail: { ...event.detail, eventType, isFinal: options.isFinal ?? true, destinationPhoneNumber },
  };
}

export function smsDeliveryFailed(destinationPhoneNumber: string, time?: number): FeedbackEvent {
  const event = fresh(sample('authkit-sms-delivery-failed.json'), time);
  return { ...event, detail: { ...event.detail, destinationPhoneNumber } };
}

/** A fresh valid US number per call, so specs sharing the table never share one. */
export const uniquePhone = (): string =>
  `+1415${200 + Math.floor(Math.random() * 800)}${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
