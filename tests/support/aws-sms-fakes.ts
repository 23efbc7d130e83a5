/**
 * SNS, End User Messaging SMS and EventBridge as the AWS SDK meets them on the wire, served on
 * loopback: each fake answers every request with the reply the test set, in the service's own
 * protocol (SNS: AWS Query, XML; End User Messaging: AWS JSON 1.0; EventBridge: AWS JSON 1.1), so
 * the SDK parses successes and errors exactly as it parses the real services'. moto has no End User
 * Messaging SMS, and the local runtime's SNS only succeeds; these fakes let a spec choose the
 * failure. Each records what it was sent.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Reply = { status: number; body: string; contentType: string };
export type Received = { target: string | undefined; body: string };

export type AwsFake = {
  endpoint: string;
  received: Received[];
  reply: Reply;
  close: () => Promise<void>;
};

async function serve(initial: Reply): Promise<AwsFake> {
  const fake = { received: [] as Received[], reply: initial } as AwsFake;
  const server: Server = createServer(async (request, response) => {
    fake.received.push({
      target: request.headers['x-amz-target'] as string | undefined,
      body: await read(request),
    });
    response.writeHead(fake.reply.status, {
      'content-type': fake.reply.contentType,
      'x-amzn-requestid': 'f00d0000-0000-4000-8000-000000000000',
    });
    response.end(fake.reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

async function read(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

// ------------------------------------------------------------------------------------------ SNS

const SNS_NS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export const snsPublished = (messageId: string): Reply => ({
  status: 200,
  contentType: 'text/xml',
  body: `<PublishResponse xmlns="${SNS_NS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>f00d0000-0000-4000-8000-000000000000</RequestId></ResponseMetadata></PublishResponse>`,
});

/** An SNS error as AWS Query returns it: `code` is the Query error code (`InvalidParameter`, …). */
export const snsError = (status: number, code: string, message: string): Reply => ({
  status,
  contentType: 'text/xml',
  body: `<ErrorResponse xmlns="${SNS_NS}"><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>f00d0000-0000-4000-8000-000000000000</RequestId></ErrorResponse>`,
});

export const startFakeSns = (): Promise<AwsFake> => serve(snsPublished('sns-message-1'));

// ------------------------------------------------------------------------ End User Messaging SMS

export const textMessageSent = (messageId: string): Reply => ({
  status: 200,
  contentType: 'application/x-amz-json-1.0',
  body: JSON.stringify({ MessageId: messageId }),
});

/** An End User Messaging error as AWS JSON 1.0 returns it: the shape's name in `__type`, its members beside. */
export const smsVoiceError = (status: number, type: string, members: Record<string, unknown>): Reply => ({
  status,
  contentType: 'application/x-amz-json-1.0',
  body: JSON.stringify({ __type: `com.amazonaws.pinpointsmsvoicev2#${type}`, ...members }),
});

export const startFakeSmsVoice = (): Promise<AwsFake> => serve(textMessageSent('eum-message-1'));

// ------------------------------------------------------------------------------------ EventBridge

/** PutEvents' answer (AWS JSON 1.1): `failed` entries refused, each with an ErrorCode, the rest given ids. */
export const eventsPut = (entries: number, failed = 0): Reply => ({
  status: 200,
  contentType: 'application/x-amz-json-1.1',
  body: JSON.stringify({
    FailedEntryCount: failed,
    Entries: Array.from({ length: entries }, (_, i) =>
      i < failed
        ? { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal failure' }
        : { EventId: `event-${i + 1}` },
    ),
  }),
});

export const startFakeEventBridge = (): Promise<AwsFake> => serve(eventsPut(1));

/** The entries of every PutEvents the fake received, their Detail parsed. */
export const putEntries = (fake: AwsFake) =>
  fake.received
    .filter((request) => request.target === 'AWSEvents.PutEvents')
    .flatMap(
      (request) =>
        (JSON.parse(request.body) as { Entries: { Source: string; DetailType: string; Detail: string }[] })
          .Entries,
    )
    .map((entry) => ({ ...entry, Detail: JSON.parse(entry.Detail) as Record<string, unknown> }));
