/**
 * The developer's inbox: every message "sent" locally. SMS (and later WhatsApp) land here directly
 * from the local SNS endpoint; email is read from aws-ses-v2-local's store, incrementally, so the
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

type SesStoredEmail = {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
};

export class Outbox {
  readonly #messages: OutboxMessage[] = [];
  readonly #byRecipient = new Map<string, OutboxMessage[]>();
  readonly #seenEmails = new Set<string>();
  readonly #sesEndpoint: string;
  #sesSyncedUntil = 0;

  constructor(sesEndpoint: string) {
    this.#sesEndpoint = sesEndpoint;
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
    await this.#syncEmail();
    const source =
      filter.to === undefined ? this.#messages : (this.#byRecipient.get(recipientKey(filter.to)) ?? []);
    const limit = filter.limit ?? 100;
    const newest: OutboxMessage[] = [];
    for (let i = source.length - 1; i >= 0 && newest.length < limit; i--)
      newest.push(source[i] as OutboxMessage);
    return newest;
  }

  async #syncEmail(): Promise<void> {
    // `since` has one-second granularity: re-read the last second and skip what was seen.
    const response = await fetch(`${this.#sesEndpoint}/store?since=${this.#sesSyncedUntil}`);
    if (!response.ok) throw new Error(`aws-ses-v2-local answered ${response.status}`);
    const { emails } = (await response.json()) as { emails: SesStoredEmail[] };
    const fresh = emails
      .filter((email) => !this.#seenEmails.has(email.messageId))
      .sort((a, b) => a.at - b.at);
    for (const email of fresh) {
      this.#seenEmails.add(email.messageId);
      this.#sesSyncedUntil = Math.max(this.#sesSyncedUntil, email.at);
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
  }
}

function recipientKey(to: string): string {
  try {
    return normalizeIdentifier(to).value.toLowerCase();
  } catch {
    return to.trim().toLowerCase();
  }
}
