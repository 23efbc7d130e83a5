/**
 * The developer's inbox: every message "sent" locally. SMS (and later WhatsApp) land here directly
 * from the local SNS endpoint; email is read incrementally from aws-ses-v2-local's store, so the
 * listing stays fast with many thousands of messages.
 */
import { normalizeIdentifier } from '@authkit/core';

export type OutboxMessage = {
  id: string;
  channel: 'email' | 'sms' | 'whatsapp';
  to: string;
  subject?: string | undefined;
  text: string;
  html?: string | undefined;
  sentAt: string;
};

/** An email as aws-ses-v2-local stores it (`at` in epoch seconds). */
export type SesStoredEmail = {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
};

/** Where new emails come from: SES local's store in this process, or its HTTP API. */
export interface EmailSource {
  /** Emails stored since the last call, oldest first. */
  newEmails(): Promise<SesStoredEmail[]>;
}

/** `GET /store?since=` has one-second granularity: the last second is re-read and deduplicated. */
export class HttpEmailSource implements EmailSource {
  readonly #endpoint: string;
  readonly #seen = new Set<string>();
  #since = 0;

  constructor(endpoint: string) {
    this.#endpoint = endpoint;
  }

  async newEmails(): Promise<SesStoredEmail[]> {
    const response = await fetch(`${this.#endpoint}/store?since=${this.#since}`);
    if (!response.ok) throw new Error(`aws-ses-v2-local answered ${response.status}`);
    const { emails } = (await response.json()) as { emails: SesStoredEmail[] };
    const fresh = emails.filter((email) => !this.#seen.has(email.messageId)).sort((a, b) => a.at - b.at);
    for (const email of fresh) {
      this.#seen.add(email.messageId);
      this.#since = Math.max(this.#since, email.at);
    }
    return fresh;
  }
}

export class Outbox {
  readonly #messages: OutboxMessage[] = [];
  readonly #byRecipient = new Map<string, OutboxMessage[]>();
  readonly #emails: EmailSource;

  constructor(emails: EmailSource) {
    this.#emails = emails;
  }

  add(message: OutboxMessage): void {
    this.#messages.push(message);
    const key = recipientKey(message.to);
    const list = this.#byRecipient.get(key);
    if (list) list.push(message);
    else this.#byRecipient.set(key, [message]);
  }

  /** Newest first; `to` matches one recipient exactly, after normalisation. */
  async list(filter: { to?: string | undefined; limit?: number } = {}): Promise<OutboxMessage[]> {
    for (const email of await this.#emails.newEmails()) {
      for (const to of email.destination.to) {
        this.add({
          id: email.messageId,
          channel: 'email',
          to,
          subject: email.subject,
          text: email.body.text ?? '',
          html: email.body.html,
          sentAt: new Date(email.at * 1000).toISOString(),
        });
      }
    }
    const source =
      filter.to === undefined ? this.#messages : (this.#byRecipient.get(recipientKey(filter.to)) ?? []);
    const limit = filter.limit ?? 100;
    const newest: OutboxMessage[] = [];
    for (let i = source.length - 1; i >= 0 && newest.length < limit; i--)
      newest.push(source[i] as OutboxMessage);
    return newest;
  }
}

function recipientKey(to: string): string {
  try {
    return normalizeIdentifier(to).value.toLowerCase();
  } catch {
    return to.trim().toLowerCase();
  }
}
