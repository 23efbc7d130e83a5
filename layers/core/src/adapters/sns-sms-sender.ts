import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { DeliveryFailed } from '../errors.ts';
import type { SmsMessage, SmsSender } from '../ports.ts';
import { asProviderError, type SdkError } from './provider-errors.ts';

/**
 * SNS refuses a number it will never deliver to with `InvalidParameter` naming `PhoneNumber`
 * ("Invalid parameter: PhoneNumber Reason: +1… is not valid to publish to"). An opted-out number is
 * accepted and dropped later, so SNS tells nothing about it here.
 */
function refusedDestination(sdk: SdkError) {
  const invalidNumber = sdk.name === 'InvalidParameterException' && /\bPhoneNumber\b/.test(sdk.message ?? '');
  return invalidNumber ? { provider: 'sns', errorCode: 'InvalidParameter' } : undefined;
}

/** SMS through SNS Publish to a phone number, always Transactional (one-time codes are time-critical). */
export class SnsSmsSender implements SmsSender {
  readonly #sns: SNSClient;
  readonly #senderId: string;

  constructor(sns: SNSClient, options: { senderId: string }) {
    this.#sns = sns;
    this.#senderId = options.senderId;
  }

  async send(message: SmsMessage): Promise<{ messageId: string }> {
    try {
      const result = await this.#sns.send(
        new PublishCommand({
          PhoneNumber: message.to,
          Message: message.text,
          MessageAttributes: {
            'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
            ...(this.#senderId
              ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: this.#senderId } }
              : {}),
          },
        }),
      );
      if (!result.MessageId) throw new DeliveryFailed('SNS accepted the SMS without a message id');
      return { messageId: result.MessageId };
    } catch (error) {
      throw asProviderError(error, 'SNS', refusedDestination);
    }
  }
}
