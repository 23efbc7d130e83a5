/**
 * The AWS APIs the functions call that have no official local form, served on the runtime's own
 * port: Step Functions (JSON 1.0 protocol), SNS Publish (query protocol) into the outbox and
 * Secrets Manager (JSON 1.1 protocol: reading secrets, and what rotation uses). The functions reach them through
 * AWS_ENDPOINT_URL_* alone.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Outbox } from './outbox.ts';
import { LocalSecretsError, type LocalSecretsManager } from './secrets-manager.ts';
import { isFailureSimulatorNumber } from './sms-simulator.ts';
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
  // SNS refuses a number it cannot send to with this error, at once; locally, End User Messaging's
  // failure simulator numbers stand for such numbers (and anything not in E.164 form is one).
  if (!/^\+[1-9]\d{1,14}$/.test(phoneNumber) || isFailureSimulatorNumber(phoneNumber)) {
    xml(
      400,
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: PhoneNumber Reason: ${escapeXml(phoneNumber)} is not valid to publish to</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
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

const escapeXml = (value: string): string => value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The Secrets Manager operations LocalSecretsManager serves (GetSecretValue, DescribeSecret,
 * PutSecretValue, UpdateSecretVersionStage, RotateSecret), in the service's JSON 1.1 shape; a
 * secret is found by ARN or name.
 */
export async function handleSecretsManager(
  secrets: LocalSecretsManager,
  target: string | undefined,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  const [status, payload] = await secretsManagerAnswer(secrets, target, body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
  });
  response.end(JSON.stringify(payload));
}

async function secretsManagerAnswer(
  secrets: LocalSecretsManager,
  target: string | undefined,
  body: Buffer,
): Promise<[status: number, payload: unknown]> {
  const operations: Record<string, (request: Record<string, never>) => unknown> = {
    'secretsmanager.GetSecretValue': (request) => secrets.getSecretValue(request),
    'secretsmanager.DescribeSecret': (request) => secrets.describeSecret(request),
    'secretsmanager.PutSecretValue': (request) => secrets.putSecretValue(request),
    'secretsmanager.UpdateSecretVersionStage': (request) => secrets.updateSecretVersionStage(request),
    'secretsmanager.RotateSecret': (request) => secrets.rotateSecret(request),
  };
  const operation = target === undefined ? undefined : operations[target];
  if (!operation) {
    return [400, { __type: 'UnknownOperationException', message: `${target} is not served locally` }];
  }
  let request: Record<string, never>;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return [400, { __type: 'SerializationException', message: 'The request body is not JSON' }];
  }
  try {
    return [200, await operation(request)];
  } catch (error) {
    if (!(error instanceof LocalSecretsError)) throw error;
    return [400, { __type: error.type, message: error.message }];
  }
}
