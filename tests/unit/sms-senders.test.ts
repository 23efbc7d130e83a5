/**
 * The two SMS senders against their services' wire protocols (loopback fakes, real SDK clients):
 * what each sends, and how each sorts the answers into the workflow's outcomes. A refusal of the
 * number itself carries `destinationRefusal`, which the send step turns into SmsDeliveryFailed and
 * the feedback loop into a denylist entry; a refusal that is the operator's (access, a blocked
 * country) must not carry it, or a misconfigured stack would denylist its users.
 */
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EndUserMessagingSmsSender, SnsSmsSender } from '../../layers/core/src/adapters/index.ts';
import { DeliveryFailed, ProviderUnavailable } from '../../layers/core/src/errors.ts';
import { freePort } from '../../local/ports.ts';
import {
  type AwsFake,
  type Reply,
  smsVoiceError,
  snsError,
  snsPublished,
  startFakeSmsVoice,
  startFakeSns,
  textMessageSent,
} from '../support/aws-sms-fakes.ts';

const MESSAGE = {
  to: '+14255550199',
  text: 'Your AuthKit code is 123456',
  context: { challengeId: 'ch_abc' },
};

/** One attempt: the SDK's own retries would only repeat what the fake answers. */
const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});

async function failureOf(send: () => Promise<unknown>): Promise<Error> {
  try {
    await send();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the send to fail');
}

describe('EndUserMessagingSmsSender', () => {
  let fake: AwsFake;
  const sender = (
    options = { configurationSet: 'authkit-sms', originationIdentity: '', stack: 'authkit-prod' },
  ) => new EndUserMessagingSmsSender(new PinpointSMSVoiceV2Client(clientConfig(fake.endpoint)), options);
  const answering = (reply: Reply) => {
    fake.reply = reply;
    return sender();
  };

  beforeAll(async () => {
    fake = await startFakeSmsVoice();
  });
  afterAll(() => fake.close());

  it('sends a transactional SendTextMessage through the configuration set, with the context', async () => {
    // Prepare
    fake.reply = textMessageSent('eum-1');
    fake.received.length = 0;

    // Act
    const sent = await sender().send(MESSAGE);

    // Assess
    expect(sent).toEqual({ messageId: 'eum-1' });
    expect(fake.received.map((r) => r.target)).toEqual(['PinpointSMSVoiceV2.SendTextMessage']);
    expect(JSON.parse(fake.received[0]?.body ?? '')).toEqual({
      DestinationPhoneNumber: '+14255550199',
      MessageBody: 'Your AuthKit code is 123456',
      MessageType: 'TRANSACTIONAL',
      ConfigurationSetName: 'authkit-sms',
      Context: { challengeId: 'ch_abc', stack: 'authkit-prod' },
    });
  });

  it('sends from the origination identity when one is set', async () => {
    // Prepare
    fake.reply = textMessageSent('eum-2');
    fake.received.length = 0;

    // Act
    await sender({ configurationSet: 'authkit-sms', originationIdentity: 'pool-0123abcd', stack: 'x' }).send(
      MESSAGE,
    );

    // Assess
    expect(JSON.parse(fake.received[0]?.body ?? '')).toMatchObject({ OriginationIdentity: 'pool-0123abcd' });
  });

  it.each([
    [
      'an opted-out number',
      smsVoiceError(400, 'ConflictException', {
        Message: 'The destination phone number is opted out',
        Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT',
        ResourceType: 'opt-out-list',
        ResourceId: 'Default',
      }),
      'DESTINATION_PHONE_NUMBER_OPTED_OUT',
    ],
    [
      'a number that is none',
      smsVoiceError(400, 'ValidationException', {
        Message: 'Invalid parameter',
        Reason: 'INVALID_PARAMETER',
        Fields: [{ Name: 'DestinationPhoneNumber', Message: 'Invalid destination phone number' }],
      }),
      'INVALID_PARAMETER:DestinationPhoneNumber',
    ],
  ])('refuses %s for good, naming the number', async (_, reply, errorCode) => {
    // Act
    const error = await failureOf(() => answering(reply).send(MESSAGE));

    // Assess
    expect(error).toBeInstanceOf(DeliveryFailed);
    expect((error as DeliveryFailed).destinationRefusal).toEqual({
      provider: 'end-user-messaging',
      errorCode,
    });
  });

  it.each([
    [
      'a country the account may not send to',
      smsVoiceError(400, 'ValidationException', {
        Message: 'Destination country blocked',
        Reason: 'DESTINATION_COUNTRY_BLOCKED',
        Fields: [{ Name: 'DestinationPhoneNumber', Message: 'Country blocked' }],
      }),
    ],
    [
      'a protect configuration blocking the country',
      smsVoiceError(400, 'ConflictException', {
        Message: 'Blocked',
        Reason: 'DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION',
      }),
    ],
    ['a role without the permission', smsVoiceError(400, 'AccessDeniedException', { Message: 'Denied' })],
    [
      'a spend limit reached',
      smsVoiceError(400, 'ServiceQuotaExceededException', {
        Message: 'Monthly spend limit reached',
        Reason: 'MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT',
      }),
    ],
  ])('refuses the message for %s without blaming the number', async (_, reply) => {
    // Act
    const error = await failureOf(() => answering(reply).send(MESSAGE));

    // Assess
    expect(error).toBeInstanceOf(DeliveryFailed);
    expect((error as DeliveryFailed).destinationRefusal).toBeUndefined();
  });

  it.each([
    ['throttling', smsVoiceError(400, 'ThrottlingException', { Message: 'Rate exceeded' })],
    ['an internal error', smsVoiceError(500, 'InternalServerException', { Message: 'Internal error' })],
  ])('is unavailable (retried) on %s', async (_, reply) => {
    // Act
    const error = await failureOf(() => answering(reply).send(MESSAGE));

    // Assess
    expect(error).toBeInstanceOf(ProviderUnavailable);
  });

  it('is unavailable (retried) when the service cannot be reached', async () => {
    // Prepare: nothing listens on a port that was just free.
    const client = new PinpointSMSVoiceV2Client(clientConfig(`http://127.0.0.1:${await freePort()}`));
    const unreachable = new EndUserMessagingSmsSender(client, {
      configurationSet: 'x',
      originationIdentity: '',
      stack: 'authkit-prod',
    });

    // Act
    const error = await failureOf(() => unreachable.send(MESSAGE));

    // Assess
    expect(error).toBeInstanceOf(ProviderUnavailable);
  });
});

describe('SnsSmsSender', () => {
  let fake: AwsFake;
  const answering = (reply: Reply) => {
    fake.reply = reply;
    return new SnsSmsSender(new SNSClient(clientConfig(fake.endpoint)), { senderId: '' });
  };

  beforeAll(async () => {
    fake = await startFakeSns();
  });
  afterAll(() => fake.close());

  it('publishes to the number, Transactional', async () => {
    // Prepare
    fake.received.length = 0;

    // Act
    const sent = await answering(snsPublished('sns-1')).send(MESSAGE);

    // Assess
    expect(sent).toEqual({ messageId: 'sns-1' });
    const form = new URLSearchParams(fake.received[0]?.body);
    expect(form.get('Action')).toBe('Publish');
    expect(form.get('PhoneNumber')).toBe('+14255550199');
    expect(form.get('MessageAttributes.entry.1.Value.StringValue')).toBe('Transactional');
  });

  it('refuses a number SNS will not publish to for good, naming the number', async () => {
    // Prepare
    const reply = snsError(
      400,
      'InvalidParameter',
      'Invalid parameter: PhoneNumber Reason: +14255550199 is not valid to publish to',
    );

    // Act
    const error = await failureOf(() => answering(reply).send(MESSAGE));

    // Assess
    expect(error).toBeInstanceOf(DeliveryFailed);
    expect((error as DeliveryFailed).destinationRefusal).toEqual({
      provider: 'sns',
      errorCode: 'InvalidParameter',
    });
  });

  it.each([
    [
      'an invalid parameter that is not the number',
      snsError(400, 'InvalidParameter', 'Invalid parameter: MessageAttributes'),
    ],
    [
      'a role without the permission',
      snsError(403, 'AuthorizationError', 'User is not authorized to perform: SNS:Publish'),
    ],
    [
      'an authorization error whose message names the PhoneNumber',
      snsError(400, 'AuthorizationError', 'Not authorized to publish to PhoneNumber +14255550199'),
    ],
  ])('refuses the message for %s without blaming the number', async (_, reply) => {
    // Act
    const error = await failureOf(() => answering(reply).send(MESSAGE));

    // Assess
    expect(error).toBeInstanceOf(DeliveryFailed);
    expect((error as DeliveryFailed).destinationRefusal).toBeUndefined();
  });

  it.each([
    ['throttling', snsError(400, 'Throttling', 'Rate exceeded')],
    ['an internal error', snsError(500, 'InternalError', 'Internal error')],
  ])('is unavailable (retried) on %s', async (_, reply) => {
    // Act
    const error = await failureOf(() => answering(reply).send(MESSAGE));

    // Assess
    expect(error).toBeInstanceOf(ProviderUnavailable);
  });
});
