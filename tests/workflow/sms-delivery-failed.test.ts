/**
 * SendChallenge when the SMS provider refuses: a refusal of the number itself publishes one
 * `authkit` SmsDeliveryFailed on the default bus (for the feedback loop to denylist the number);
 * any other failure publishes nothing; and the execution ends in DeliveryFailed either way, whether
 * or not EventBridge took the event. The workflow runs as `npm start` runs it, with each provider
 * and EventBridge on loopback in their own wire protocols.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../local/ports.ts';
import {
  type AwsFake,
  eventsPut,
  putEntries,
  smsVoiceError,
  snsError,
  startFakeEventBridge,
  startFakeSmsVoice,
  startFakeSns,
} from '../support/aws-sms-fakes.ts';
import { challengeWorkflow, useTemplateEnvironment } from '../support/stack.ts';
import { execute, RecordingInvoker, workflowInput } from '../support/workflow.ts';

type Workflow = ReturnType<typeof challengeWorkflow> & { invoker: RecordingInvoker };

let smsVoice: AwsFake;
let sns: AwsFake;
let events: AwsFake;
let endUserMessaging: Workflow;
let bySns: Workflow;

const digits = (n: number) => String(Math.floor(Math.random() * 10 ** n)).padStart(n, '0');
/** A US number of its own prefix, so no spec spends another's per-prefix budget. */
const uniqueNumber = () => `+1425${200 + Math.floor(Math.random() * 800)}${digits(4)}`;

const OPTED_OUT = smsVoiceError(400, 'ConflictException', {
  Message: 'The destination phone number is opted out',
  Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT',
  ResourceType: 'opt-out-list',
  ResourceId: 'Default',
});

async function workflowWith(parameters: Record<string, string>): Promise<Workflow> {
  const template = await useTemplateEnvironment(parameters);
  let invoker: RecordingInvoker | undefined;
  const workflow = challengeWorkflow(template, (inner) => {
    invoker = new RecordingInvoker(inner);
    return invoker;
  });
  return { ...workflow, invoker: invoker as unknown as RecordingInvoker };
}

beforeAll(async () => {
  [smsVoice, sns, events] = await Promise.all([startFakeSmsVoice(), startFakeSns(), startFakeEventBridge()]);
  process.env.AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 = smsVoice.endpoint;
  process.env.AWS_ENDPOINT_URL_SNS = sns.endpoint;
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = events.endpoint;
  endUserMessaging = await workflowWith({ SmsProvider: 'end-user-messaging' });
  bySns = await workflowWith({ SmsProvider: 'sns' });
});

afterAll(async () => {
  await Promise.all([smsVoice.close(), sns.close(), events.close()]);
});

const published = (challengeId: string) =>
  putEntries(events).filter((entry) => entry.Detail.challengeId === challengeId);

describe('SendChallenge by End User Messaging', () => {
  it('publishes one SmsDeliveryFailed naming the number when the number opted out, and fails', async () => {
    // Prepare
    smsVoice.reply = OPTED_OUT;
    events.reply = eventsPut(1);
    const phone = uniqueNumber();
    const input = workflowInput(phone);

    // Act
    const execution = await execute(endUserMessaging, input);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'DeliveryFailed' });
    expect(published(input.challengeId)).toEqual([
      {
        Source: 'authkit',
        DetailType: 'SmsDeliveryFailed',
        Detail: {
          stack: 'authkit-local',
          destinationPhoneNumber: phone,
          challengeId: input.challengeId,
          provider: 'end-user-messaging',
          errorCode: 'DESTINATION_PHONE_NUMBER_OPTED_OUT',
          permanent: true,
        },
      },
    ]);
  });

  it('publishes nothing when the service throttles, and fails after the retries', async () => {
    // Prepare
    smsVoice.reply = smsVoiceError(400, 'ThrottlingException', { Message: 'Rate exceeded' });
    events.reply = eventsPut(1);
    const input = workflowInput(uniqueNumber());
    const sendsBefore = endUserMessaging.invoker.count('SendChallengeFunction');

    // Act
    const execution = await execute(endUserMessaging, input);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'DeliveryFailed' });
    expect(endUserMessaging.invoker.count('SendChallengeFunction') - sendsBefore).toBe(3);
    expect(published(input.challengeId)).toEqual([]);
  });

  it("publishes nothing when the refusal is not the number's (a blocked country)", async () => {
    // Prepare
    smsVoice.reply = smsVoiceError(400, 'ValidationException', {
      Message: 'Destination country blocked',
      Reason: 'DESTINATION_COUNTRY_BLOCKED',
      Fields: [{ Name: 'DestinationPhoneNumber', Message: 'Country blocked' }],
    });
    const input = workflowInput(uniqueNumber());

    // Act
    const execution = await execute(endUserMessaging, input);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'DeliveryFailed' });
    expect(published(input.challengeId)).toEqual([]);
  });

  it.each([
    ['refuses the entry', () => eventsPut(1, 1)],
    [
      'fails',
      () => ({
        status: 500,
        contentType: 'application/x-amz-json-1.1',
        body: '{"__type":"InternalException"}',
      }),
    ],
  ])('answers the same DeliveryFailed when EventBridge %s', async (_, reply) => {
    // Prepare
    smsVoice.reply = OPTED_OUT;
    events.reply = reply();
    const input = workflowInput(uniqueNumber());
    const sendsBefore = endUserMessaging.invoker.count('SendChallengeFunction');

    // Act
    const execution = await execute(endUserMessaging, input);

    // Assess: the event was tried (the SDK retries a 500 itself), and the step ran once, not
    // retried as a crash would be, with the same refusal.
    expect(execution).toMatchObject({ status: 'FAILED', error: 'DeliveryFailed' });
    expect(endUserMessaging.invoker.count('SendChallengeFunction') - sendsBefore).toBe(1);
    expect(published(input.challengeId).length).toBeGreaterThan(0);
  });
});

describe('SendChallenge by SNS', () => {
  it('publishes one SmsDeliveryFailed naming the number when SNS will not publish to it', async () => {
    // Prepare
    const phone = uniqueNumber();
    sns.reply = snsError(
      400,
      'InvalidParameter',
      `Invalid parameter: PhoneNumber Reason: ${phone} is not valid to publish to`,
    );
    events.reply = eventsPut(1);
    const input = workflowInput(phone);

    // Act
    const execution = await execute(bySns, input);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'DeliveryFailed' });
    expect(published(input.challengeId)).toEqual([
      {
        Source: 'authkit',
        DetailType: 'SmsDeliveryFailed',
        Detail: {
          stack: 'authkit-local',
          destinationPhoneNumber: phone,
          challengeId: input.challengeId,
          provider: 'sns',
          errorCode: 'InvalidParameter',
          permanent: true,
        },
      },
    ]);
  });

  it('publishes nothing when SNS cannot be reached', async () => {
    // Prepare: a workflow whose functions, built on its first execution, find nothing listening
    // where SNS should be.
    const unreachable = await workflowWith({ SmsProvider: 'sns' });
    const input = workflowInput(uniqueNumber());
    process.env.AWS_ENDPOINT_URL_SNS = `http://127.0.0.1:${await freePort()}`;

    // Act
    const execution = await execute(unreachable, input).finally(() => {
      process.env.AWS_ENDPOINT_URL_SNS = sns.endpoint;
    });

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'DeliveryFailed' });
    expect(published(input.challengeId)).toEqual([]);
  });
});
