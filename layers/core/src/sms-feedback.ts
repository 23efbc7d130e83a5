/**
 * The send step's half of the SMS feedback loop. When the SMS provider refuses a number for good (it
 * is no number, or it opted out), an `authkit` SmsDeliveryFailed event says so, and a rule on the
 * default bus routes it to the handler that denylists the number. The adapter only classifies the
 * refusal (DeliveryFailed.destinationRefusal); whether it is told is decided here.
 */
import { DeliveryFailed } from './errors.ts';
import type { AppEvent, EventPublisher } from './ports.ts';

export const SMS_DELIVERY_FAILED = 'SmsDeliveryFailed';

export type SmsDeliveryFailedDetail = {
  /** The stack that sent it: the rule of that stack alone takes it (one account's bus serves every stack). */
  stack: string;
  destinationPhoneNumber: string;
  challengeId: string;
  provider: 'sns' | 'end-user-messaging';
  errorCode: string;
  permanent: true;
};

/**
 * Where refusals are told, the stack they are told for, and what to do when telling fails (log
 * without the number, count it).
 */
export type SmsFeedback = { events: EventPublisher; stack: string; failed: (error: unknown) => void };

const PROVIDERS: readonly string[] = [
  'sns',
  'end-user-messaging',
] satisfies SmsDeliveryFailedDetail['provider'][];

/** The event a failed SMS send is worth, or undefined when the failure says nothing against the number. */
export function smsDeliveryFailed(
  error: unknown,
  send: { destination: string; challengeId: string; stack: string },
): AppEvent | undefined {
  if (!(error instanceof DeliveryFailed) || !error.destinationRefusal) return undefined;
  const { provider, errorCode } = error.destinationRefusal;
  if (!PROVIDERS.includes(provider)) return undefined;
  const detail: SmsDeliveryFailedDetail = {
    stack: send.stack,
    destinationPhoneNumber: send.destination,
    challengeId: send.challengeId,
    provider: provider as SmsDeliveryFailedDetail['provider'],
    errorCode,
    permanent: true,
  };
  return { detailType: SMS_DELIVERY_FAILED, detail };
}

/**
 * Publishes the event `error` is worth, if any. Never throws: the step's answer is the delivery's
 * failure, whether or not the event went out (a lost event costs one denylist entry, not a sign-in).
 */
export async function reportSmsFailure(
  feedback: SmsFeedback,
  error: unknown,
  send: { destination: string; challengeId: string },
): Promise<void> {
  const event = smsDeliveryFailed(error, { ...send, stack: feedback.stack });
  if (!event) return;
  try {
    await feedback.events.publish([event]);
  } catch (publishError) {
    feedback.failed(publishError);
  }
}
