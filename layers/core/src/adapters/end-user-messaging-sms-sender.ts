/**
 * `@authkit/core/adapters/end-user-messaging`: SMS by AWS End User Messaging SMS, and its client. An
 * entry of its own, so a stack that sends by SNS never loads this SDK client.
 */
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { DeliveryFailed } from '../errors.ts';
import type { SmsMessage, SmsSender } from '../ports.ts';
import { asProviderError, type SdkError } from './provider-errors.ts';

export { PinpointSMSVoiceV2Client };

type Refusal = SdkError & { Reason?: string; Fields?: { Name?: string }[] };

/** What a ValidationException says of a number that cannot be one (not of a country or a setting). */
const MALFORMED_NUMBER = new Set(['INVALID_PARAMETER', 'FIELD_VALIDATION_FAILED', 'CANNOT_PARSE']);

/**
 * The refusals that condemn the number itself: it opted out (STOP), or it is no number. A blocked
 * country, an unregistered sender, a spend limit or a protect configuration's rule refuses every
 * number alike and says nothing against this one.
 */
function refusedDestination(sdk: Refusal) {
  const errorCode =
    sdk.name === 'ConflictException' && sdk.Reason === 'DESTINATION_PHONE_NUMBER_OPTED_OUT'
      ? sdk.Reason
      : sdk.name === 'ValidationException' &&
          MALFORMED_NUMBER.has(sdk.Reason ?? '') &&
          (sdk.Fields ?? []).some((field) => field.Name === 'DestinationPhoneNumber')
        ? `${sdk.Reason}:DestinationPhoneNumber`
        : undefined;
  return errorCode ? { provider: 'end-user-messaging', errorCode } : undefined;
}

/**
 * SMS through AWS End User Messaging SMS (`SendTextMessage`), Transactional, through the stack's
 * configuration set. The challenge's context travels with the message and comes back on the
 * delivery-status events End User Messaging puts on the default event bus.
 */
export class EndUserMessagingSmsSender implements SmsSender {
  readonly #client: PinpointSMSVoiceV2Client;
  readonly #configurationSet: string;
  readonly #originationIdentity: string;
  readonly #stack: string;

  /** `stack`: echoed in every delivery-status event's context, so only this stack's rule takes them. */
  constructor(
    client: PinpointSMSVoiceV2Client,
    options: { configurationSet: string; originationIdentity: string; stack: string },
  ) {
    this.#client = client;
    this.#configurationSet = options.configurationSet;
    this.#originationIdentity = options.originationIdentity;
    this.#stack = options.stack;
  }

  async send(message: SmsMessage): Promise<{ messageId: string }> {
    try {
      const result = await this.#client.send(
        new SendTextMessageCommand({
          DestinationPhoneNumber: message.to,
          MessageBody: message.text,
          MessageType: 'TRANSACTIONAL',
          Context: { ...message.context, stack: this.#stack },
          ...(this.#configurationSet ? { ConfigurationSetName: this.#configurationSet } : {}),
          // Empty: the service picks one of the account's identities that can reach the country.
          ...(this.#originationIdentity ? { OriginationIdentity: this.#originationIdentity } : {}),
        }),
      );
      if (!result.MessageId)
        throw new DeliveryFailed('End User Messaging accepted the SMS without a message id');
      return { messageId: result.MessageId };
    } catch (error) {
      throw asProviderError(error, 'End User Messaging', refusedDestination);
    }
  }
}
