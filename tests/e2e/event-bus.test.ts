/**
 * The feedback loop in the local runtime: events put through the EventBridge API, and those SES and
 * End User Messaging SMS publish, routed by EventBridgeRule patterns to functions invoked as
 * EventBridge invokes them; a failing handler retried and dead-lettered as Lambda does. The rules
 * are a fixture's (tests/fixtures/event-bus), of the shape template.yaml's feedback functions use.
 */
import { join } from 'node:path';
import { DeliveryFailed } from '@authkit/core';
import { EventBridgeClient, EventBridgePublisher } from '@authkit/core/adapters/events';
import { SNSClient, SnsSmsSender } from '@authkit/core/adapters/messaging';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BusEvent } from '../../local/event-bus.ts';
import { type LocalRuntime, REPO_ROOT, startLocalRuntime } from '../../local/runtime.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/template.ts';
import { type ProbeInvocation, probeInvocations } from '../fixtures/event-bus/probe.ts';
import { client } from '../support/http.ts';
import { dynamodbEndpoint, sesEndpoint, TEST_PARAMETERS, uniqueEmail } from '../support/stack.ts';

let runtime: LocalRuntime;
let http: ReturnType<typeof client>;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sdk = (path: string) => ({ endpoint: `${runtime.url}${path}`, region: LOCAL_REGION, credentials });

/**
 * This runtime's functions keep their denylist apart: the simulator's bounce address folds to one
 * screening key, which other spec files (sharing DynamoDB Local) denylist on purpose.
 */
const OWN_DENYLIST = `EventBusSpecDenylist-${Date.now()}`;

beforeAll(async () => {
  await new DynamoDBClient({ endpoint: dynamodbEndpoint(), region: LOCAL_REGION, credentials }).send(
    new CreateTableCommand({
      TableName: OWN_DENYLIST,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  runtime = await startLocalRuntime({
    port: 0,
    dynamodbEndpoint: dynamodbEndpoint(),
    sesEndpoint: sesEndpoint(),
    parameters: TEST_PARAMETERS,
    templateOverlay: join(REPO_ROOT, 'tests/fixtures/event-bus/template-overlay.yaml'),
    functionEnvironment: () => ({ DENYLIST_TABLE: OWN_DENYLIST }),
  });
  http = client(runtime.url);
});
afterAll(async () => {
  await runtime.close();
});

const receivedBy = (functionName: string, filter: (event: BusEvent) => boolean): BusEvent[] =>
  probeInvocations()
    .filter((call: ProbeInvocation) => call.functionName === functionName)
    .map((call) => call.event as unknown as BusEvent)
    .filter(filter);

const putEvents = async (entries: unknown[], target = 'AWSEvents.PutEvents') => {
  const response = await fetch(`${runtime.url}/_aws/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body: JSON.stringify({ Entries: entries }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('routing events by the rules in the template', () => {
  it('delivers a matching event from PutEvents (the EventBridge adapter) with its full envelope', async () => {
    const challengeId = `ch_${Date.now()}`;
    const detail = {
      destinationPhoneNumber: '+14254147167',
      challengeId,
      provider: 'sns',
      errorCode: 'InvalidParameter',
      permanent: true,
    };
    const publisher = new EventBridgePublisher(new EventBridgeClient(sdk('/_aws/events')));
    await publisher.publish([{ detailType: 'SmsDeliveryFailed', detail }]);
    await runtime.events.settled();

    const [event, ...more] = receivedBy(
      'ProbeFunction',
      (e) => (e.detail as { challengeId?: string }).challengeId === challengeId,
    );
    expect(more).toHaveLength(0);
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'SmsDeliveryFailed',
      source: 'authkit',
      account: LOCAL_ACCOUNT,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: LOCAL_REGION,
      resources: [],
      detail,
    });
  });

  it('delivers nothing for an event no pattern matches', async () => {
    const challengeId = `ch_${Date.now()}_transient`;
    const { body } = await putEvents([
      {
        Source: 'authkit',
        DetailType: 'SmsDeliveryFailed',
        Detail: JSON.stringify({ challengeId, permanent: false }),
      },
      { Source: 'authkit.other', DetailType: 'SmsDeliveryFailed', Detail: JSON.stringify({ challengeId }) },
    ]);
    expect(body.FailedEntryCount).toBe(0);
    await runtime.events.settled();
    const ids = (body.Entries as { EventId: string }[]).map((entry) => entry.EventId);
    expect(probeInvocations().filter((call) => ids.includes(call.event.id))).toEqual([]);
  });
});

describe('PutEvents', () => {
  it('refuses entries one by one, as EventBridge does, and accepts the rest', async () => {
    const detail = JSON.stringify({ ok: true });
    const { status, body } = await putEvents([
      { DetailType: 'Probe', Detail: detail },
      { Source: 'authkit', Detail: detail },
      { Source: 'authkit', DetailType: 'Probe' },
      { Source: 'authkit', DetailType: 'Probe', Detail: '{not json' },
      { Source: 'authkit', DetailType: 'Probe', Detail: '[1, 2]' },
      { Source: 'aws.ses', DetailType: 'Email Bounced', Detail: detail },
      { Source: 'authkit', DetailType: 'Probe', Detail: detail, EventBusName: 'other-bus' },
      { Source: 'authkit', DetailType: 'Probe', Detail: detail },
    ]);
    expect(status).toBe(200);
    expect(body.FailedEntryCount).toBe(7);
    const entries = body.Entries as Record<string, string>[];
    expect(entries.map((entry) => entry.ErrorCode)).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'ResourceNotFoundException',
      undefined,
    ]);
    expect(entries[0]?.ErrorMessage).toBe(
      'Parameter Source is not valid. Reason: Source is a required argument.',
    );
    expect(entries[1]?.ErrorMessage).toBe(
      'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    );
    expect(entries[2]?.ErrorMessage).toBe(
      'Parameter Detail is not valid. Reason: Detail is a required argument.',
    );
    expect(entries[7]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a request of no entries or more than ten, and other operations', async () => {
    const entry = { Source: 'authkit', DetailType: 'Probe', Detail: '{}' };
    expect((await putEvents([])).body.__type).toBe('ValidationException');
    const tooMany = await putEvents(Array.from({ length: 11 }, () => entry));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.__type).toBe('ValidationException');
    expect((await putEvents([entry], 'AWSEvents.PutRule')).status).toBe(400);
  });

  it('makes the EventBridge adapter throw when an entry is refused', async () => {
    const publisher = new EventBridgePublisher(new EventBridgeClient(sdk('/_aws/events')));
    await expect(
      publisher.publish([
        { detailType: 'SmsDeliveryFailed', detail: [] as unknown as Record<string, unknown> },
      ]),
    ).rejects.toThrow('MalformedDetail');
  });
});

describe('a failing handler', () => {
  it("is retried as Lambda retries (twice by default), then its event goes to the function's DeadLetterQueue", async () => {
    const { body } = await putEvents([
      {
        Source: 'authkit.test',
        DetailType: 'Probe',
        Detail: JSON.stringify({ failure: 'dead-letter-queue' }),
      },
    ]);
    const [{ EventId: eventId }] = body.Entries as [{ EventId: string }];
    await runtime.events.settled();

    expect(receivedBy('FailingProbeFunction', (e) => e.id === eventId)).toHaveLength(3);
    const { deadLetters } = (await http.get('/_local/dead-letters')).body as {
      deadLetters: { queueArn: string; kind: string; body: BusEvent; attributes: Record<string, string> }[];
    };
    const letters = deadLetters.filter((letter) => letter.body.id === eventId);
    expect(letters).toEqual([
      expect.objectContaining({
        queueArn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:ProbeDeadLetterQueue`,
        kind: 'dead-letter-queue',
        functionId: 'FailingProbeFunction',
        body: expect.objectContaining({
          id: eventId,
          source: 'authkit.test',
          detail: { failure: 'dead-letter-queue' },
        }),
        attributes: {
          RequestID: expect.any(String),
          ErrorCode: '200',
          ErrorMessage: 'probe failed on purpose',
        },
      }),
    ]);
  });

  it("sends Lambda's invocation record to an on-failure destination after the retries it is given", async () => {
    const { body } = await putEvents([
      { Source: 'authkit.test', DetailType: 'Probe', Detail: JSON.stringify({ failure: 'destination' }) },
    ]);
    const [{ EventId: eventId }] = body.Entries as [{ EventId: string }];
    await runtime.events.settled();

    expect(receivedBy('FailingDestinationProbeFunction', (e) => e.id === eventId)).toHaveLength(1);
    const record = runtime.events
      .deadLetters()
      .find((letter) => (letter.body as { requestPayload?: BusEvent }).requestPayload?.id === eventId);
    expect(record?.kind).toBe('destination');
    expect(record?.body).toEqual({
      version: '1.0',
      timestamp: expect.any(String),
      requestContext: {
        requestId: expect.any(String),
        functionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:FailingDestinationProbeFunction:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 1,
      },
      requestPayload: expect.objectContaining({ id: eventId }),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: expect.objectContaining({
        errorType: 'ProbeFailure',
        errorMessage: 'probe failed on purpose',
      }),
    });
  });
});

describe("SES's mailbox simulator", () => {
  const ses = () => new SESv2Client(sdk('/_aws/sesv2'));
  const send = async (to: string, configurationSet: string | undefined, label: string) => {
    const { MessageId } = await ses().send(
      new SendEmailCommand({
        FromEmailAddress: 'login@auth.example.com',
        Destination: { ToAddresses: [to] },
        Content: { Simple: { Subject: { Data: 'Probe' }, Body: { Text: { Data: 'Probe' } } } },
        EmailTags: [{ Name: 'probe', Value: label }],
        ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
      }),
    );
    await runtime.events.settled();
    return MessageId as string;
  };
  const sesEventsFor = (messageId: string) =>
    receivedBy(
      'ProbeFunction',
      (e) => (e.detail as { mail?: { messageId?: string } }).mail?.messageId === messageId,
    );

  it('bounces mail to bounce@ permanently, with the mail, its tags and the configuration set', async () => {
    const messageId = await send('bounce@simulator.amazonses.com', 'ProbeConfigurationSet', 'bounce');
    const events = sesEventsFor(messageId);
    expect(events.map((e) => e['detail-type'])).toEqual(['Email Sent', 'Email Bounced']);
    const bounced = events[1] as BusEvent;
    expect(bounced.source).toBe('aws.ses');
    expect(bounced.detail).toEqual({
      eventType: 'Bounce',
      mail: expect.objectContaining({
        messageId,
        source: 'login@auth.example.com',
        destination: ['bounce@simulator.amazonses.com'],
        tags: expect.objectContaining({
          'ses:configuration-set': ['ProbeConfigurationSet'],
          probe: ['bounce'],
        }),
      }),
      bounce: expect.objectContaining({
        feedbackId: expect.any(String),
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [
          {
            emailAddress: 'bounce@simulator.amazonses.com',
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: 'smtp; 550 5.1.1 user unknown',
          },
        ],
      }),
    });
    const inbox = await http.get('/_local/messages?to=bounce@simulator.amazonses.com');
    expect((inbox.body.messages as { id: string }[]).map((m) => m.id)).toContain(messageId);
  });

  it('delivers mail to complaint@, then reports an abuse complaint', async () => {
    const messageId = await send('complaint@simulator.amazonses.com', 'ProbeConfigurationSet', 'complaint');
    const events = sesEventsFor(messageId);
    expect(events.map((e) => e['detail-type'])).toEqual([
      'Email Sent',
      'Email Delivered',
      'Email Complaint Received',
    ]);
    expect((events[2]?.detail as { complaint?: unknown } | undefined)?.complaint).toEqual(
      expect.objectContaining({
        complaintFeedbackType: 'abuse',
        complainedRecipients: [{ emailAddress: 'complaint@simulator.amazonses.com' }],
        feedbackId: expect.any(String),
      }),
    );
  });

  it.each(['success@simulator.amazonses.com', 'ooto@simulator.amazonses.com', 'someone@example.com'])(
    'only delivers mail to %s (an out-of-office reply is no bounce)',
    async (to) => {
      const messageId = await send(to, 'ProbeConfigurationSet', 'delivered');
      expect(sesEventsFor(messageId).map((e) => e['detail-type'])).toEqual(['Email Sent', 'Email Delivered']);
    },
  );

  it('publishes nothing for mail sent without a configuration set with an EventBridge destination', async () => {
    const messageId = await send('bounce@simulator.amazonses.com', undefined, 'none');
    expect(sesEventsFor(messageId)).toEqual([]);
  });

  it("publishes only the event types the product's configuration set asks for, from a real sign-in", async () => {
    const bounced = await http.post('/v1/auth/start', { identifier: 'bounce+e2e@simulator.amazonses.com' });
    const delivered = await http.post('/v1/auth/start', {
      identifier: 'success+e2e@simulator.amazonses.com',
    });
    expect([bounced.status, delivered.status]).toEqual([202, 202]);
    await runtime.events.settled();
    const fromProduct = receivedBy(
      'ProbeFunction',
      (e) =>
        (e.detail as { mail?: { tags?: Record<string, string[]> } }).mail?.tags?.[
          'ses:configuration-set'
        ]?.[0] === 'EmailConfigurationSet',
    );
    const bounce = fromProduct.find((e) =>
      (e.detail as { mail: { destination: string[] } }).mail.destination.includes(
        'bounce+e2e@simulator.amazonses.com',
      ),
    );
    expect(bounce?.['detail-type']).toBe('Email Bounced');
    // The send step's tags come back on the event: the way feedback finds its challenge.
    const tags = (bounce?.detail as { mail?: { tags?: Record<string, string[]> } } | undefined)?.mail?.tags;
    expect(tags?.challengeId).toEqual([bounced.body.challengeId]);
    expect(
      fromProduct.filter((e) =>
        (e.detail as { mail: { destination: string[] } }).mail.destination.includes(
          'success+e2e@simulator.amazonses.com',
        ),
      ),
    ).toEqual([]);
  });
});

describe('End User Messaging SMS', () => {
  const sms = () => new PinpointSMSVoiceV2Client(sdk('/_aws/sms-voice'));
  const smsEventsFor = (messageId: string) =>
    receivedBy('ProbeFunction', (e) => (e.detail as { messageId?: string }).messageId === messageId).map(
      (e) => e.detail as Record<string, unknown>,
    );

  it('reports a failure simulator number as a final TEXT_INVALID, with the Context sent', async () => {
    const { MessageId } = await sms().send(
      new SendTextMessageCommand({
        DestinationPhoneNumber: '+14254147167',
        MessageBody: 'Your code is 123456',
        ConfigurationSetName: 'authkit-sms',
        Context: { challengeId: 'ch_sms_failure' },
      }),
    );
    await runtime.events.settled();
    expect(smsEventsFor(MessageId as string)).toEqual([
      expect.objectContaining({
        eventType: 'TEXT_INVALID',
        isFinal: true,
        destinationPhoneNumber: '+14254147167',
        isoCountryCode: 'US',
        messageStatus: 'INVALID',
        context: { challengeId: 'ch_sms_failure' },
      }),
    ]);
  });

  it('reports other numbers as accepted by the carrier, then delivered', async () => {
    const { MessageId } = await sms().send(
      new SendTextMessageCommand({
        DestinationPhoneNumber: '+447860019066',
        MessageBody: 'Your code is 654321',
      }),
    );
    await runtime.events.settled();
    expect(smsEventsFor(MessageId as string).map((d) => [d.eventType, d.isFinal, d.isoCountryCode])).toEqual([
      ['TEXT_SUCCESSFUL', false, 'GB'],
      ['TEXT_DELIVERED', true, 'GB'],
    ]);
    const inbox = await http.get('/_local/messages?to=%2B447860019066');
    expect((inbox.body.messages as { id: string }[]).map((m) => m.id)).toContain(MessageId);
  });

  it('refuses a destination that is not a phone number', async () => {
    await expect(
      sms().send(new SendTextMessageCommand({ DestinationPhoneNumber: 'ada@example.com', MessageBody: 'x' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('SNS', () => {
  const sender = () => new SnsSmsSender(new SNSClient(sdk('/_aws/sns')), { senderId: '' });

  it('refuses to publish to a failure simulator number as it refuses an invalid one: a permanent failure', async () => {
    const refused = sender().send({ to: '+447860019067', text: 'Your code is 123456', context: {} });
    await expect(refused).rejects.toBeInstanceOf(DeliveryFailed);
    await expect(refused).rejects.toMatchObject({ cause: { name: 'InvalidParameterException' } });
    const inbox = await http.get('/_local/messages?to=%2B447860019067');
    expect(inbox.body.messages).toEqual([]);
  });

  it('publishes to a success simulator number', async () => {
    const { messageId } = await sender().send({
      to: '+14254147755',
      text: `Your code is ${uniqueEmail()}`,
      context: {},
    });
    const inbox = await http.get('/_local/messages?to=%2B14254147755');
    expect((inbox.body.messages as { id: string }[]).map((m) => m.id)).toContain(messageId);
  });
});
