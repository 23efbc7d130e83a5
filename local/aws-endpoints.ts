/**
 * The AWS APIs the functions call that have no official local form, served on the runtime's own
 * port: Step Functions (JSON 1.0 protocol) and SNS Publish (query protocol) into the outbox. The
 * functions reach them through AWS_ENDPOINT_URL_* alone.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Outbox } from './outbox.ts';
import type { LocalStepFunctions } from './step-functions.ts';

export async function handleStepFunctions(
  stepFunctions: LocalStepFunctions,
  target: string | undefined,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  const send = (status: number, payload: unknown) => {
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
    });
    response.end(JSON.stringify(payload));
  };
  if (target !== 'AWSStepFunctions.StartSyncExecution') {
    return send(400, { __type: 'UnknownOperationException', message: `${target} is not served locally` });
  }
  try {
    send(200, await stepFunctions.startSyncExecution(JSON.parse(body.toString('utf8'))));
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'InvalidArn';
    send(400, { __type: code, message: (error as Error).message });
  }
}

export function handleSns(outbox: Outbox, body: Buffer, response: ServerResponse): void {
  const form = new URLSearchParams(body.toString('utf8'));
  const requestId = randomUUID();
  const xml = (status: number, content: string) => {
    response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    response.end(content);
  };
  const phoneNumber = form.get('PhoneNumber');
  if (form.get('Action') !== 'Publish' || !phoneNumber || !form.get('Message')) {
    xml(
      400,
      `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Only Publish to a PhoneNumber is served locally</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
    return;
  }
  const messageId = randomUUID();
  outbox.add({
    id: messageId,
    channel: 'sms',
    to: phoneNumber,
    text: form.get('Message') ?? '',
    sentAt: new Date().toISOString(),
  });
  xml(
    200,
    `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
  );
}
