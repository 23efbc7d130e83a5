import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DeliveryFailed } from '../errors.ts';
import type { EmailMessage, Mailer } from '../ports.ts';
import { asProviderError } from './provider-errors.ts';

/** Email through SES v2. Tags come back on SES events (bounces, complaints) to join them to a challenge. */
export class SesMailer implements Mailer {
  readonly #ses: SESv2Client;
  readonly #from: string;
  readonly #configurationSet: string;

  constructor(ses: SESv2Client, options: { from: string; configurationSet: string }) {
    this.#ses = ses;
    this.#from = options.from;
    this.#configurationSet = options.configurationSet;
  }

  async send(message: EmailMessage): Promise<{ messageId: string }> {
    try {
      const result = await this.#ses.send(
        new SendEmailCommand({
          FromEmailAddress: this.#from,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: {
                Text: { Data: message.text, Charset: 'UTF-8' },
                Html: { Data: message.html, Charset: 'UTF-8' },
              },
            },
          },
          EmailTags: Object.entries(message.tags).map(([Name, Value]) => ({ Name, Value })),
          ...(this.#configurationSet ? { ConfigurationSetName: this.#configurationSet } : {}),
        }),
      );
      if (!result.MessageId) throw new DeliveryFailed('SES accepted the email without a message id');
      return { messageId: result.MessageId };
    } catch (error) {
      throw asProviderError(error, 'SES');
    }
  }
}
