/**
 * What goes out to a person: the code of a challenge, and the notice that a lockout block started.
 * Both go by the channel of the challenge; providers' failures arrive typed (DeliveryFailed,
 * ProviderUnavailable), anything else becomes ProviderUnavailable so the workflow retries it.
 */
import type { Config } from './config.ts';
import { DeliveryFailed, ProviderUnavailable } from './errors.ts';
import type { Channel } from './identifier.ts';
import type { LockoutNotifier } from './lockout.ts';
import {
  renderCodeEmail,
  renderCodeSms,
  renderLockoutEmail,
  renderLockoutSms,
  renderMagicLinkEmail,
} from './messages.ts';
import type { Mailer, SmsSender } from './ports.ts';

export type Messengers = { mailer: Mailer; sms: SmsSender };

type Delivery = {
  channel: Channel;
  destination: string;
  email: () => { subject: string; text: string; html: string };
  sms: () => string;
  context: Record<string, string>;
};

async function deliver(messengers: Messengers, delivery: Delivery): Promise<void> {
  try {
    if (delivery.channel === 'email') {
      await messengers.mailer.send({ to: delivery.destination, ...delivery.email(), tags: delivery.context });
    } else {
      await messengers.sms.send({
        to: delivery.destination,
        text: delivery.sms(),
        context: delivery.context,
      });
    }
  } catch (error) {
    if (error instanceof ProviderUnavailable || error instanceof DeliveryFailed) throw error;
    throw new ProviderUnavailable('The message provider failed unexpectedly', { cause: error });
  }
}

/**
 * The code of a challenge, and a magic-link challenge's link beside it (by email only); `locale` is
 * not read: messages are in English until they are localised.
 */
export async function deliverCode(
  deps: Messengers & { config: Pick<Config, 'code' | 'product'> },
  challenge: { challengeId: string; channel: Channel; destination: string },
  code: string,
  link?: string,
): Promise<void> {
  const input = {
    code,
    minutes: Math.round(deps.config.code.ttlSeconds / 60),
    productName: deps.config.product.name,
  };
  await deliver(deps, {
    channel: challenge.channel,
    destination: challenge.destination,
    email: () => (link ? renderMagicLinkEmail({ ...input, link }) : renderCodeEmail(input)),
    sms: () => renderCodeSms(input),
    context: { challengeId: challenge.challengeId },
  });
}

/** Sends lockout notices through the messengers. */
export function lockoutNotices(deps: Messengers & { config: Pick<Config, 'product'> }): LockoutNotifier {
  return async ({ channel, destination, scope, minutes }) => {
    const input = { productName: deps.config.product.name, scope, minutes };
    await deliver(deps, {
      channel,
      destination,
      email: () => renderLockoutEmail(input),
      sms: () => renderLockoutSms(input),
      context: { notice: 'lockout' },
    });
  };
}
