/**
 * The AWS APIs the functions call that have no official local form, served on the runtime's own
 * port: Step Functions (JSON 1.0 protocol), SNS Publish (query protocol) into the outbox and
 * Secrets Manager GetSecretValue (JSON 1.1 protocol). The functions reach them through
 * AWS_ENDPOINT_URL_* alone.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Outbox } from './outbox.ts';
import type { LocalSecretsManager } from './secrets-manager.ts';
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

/** GetSecretValue of the current version, in the service's shape; a secret is found by ARN or name. */
export function handleSecretsManager(
  secrets: LocalSecretsManager,
  target: string | undefined,
  body: Buffer,
  response: ServerResponse,
): void {
  const [status, payload] = getSecretValue(secrets, target, body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
  });
  response.end(JSON.stringify(payload));
}

function getSecretValue(
  secrets: LocalSecretsManager,
  target: string | undefined,
  body: Buffer,
): [status: number, payload: Record<string, unknown>] {
  if (target !== 'secretsmanager.GetSecretValue') {
    return [400, { __type: 'UnknownOperationException', message: `${target} is not served locally` }];
  }
  let request: { SecretId?: unknown; VersionId?: unknown; VersionStage?: unknown };
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return [400, { __type: 'SerializationException', message: 'The request body is not JSON' }];
  }
  if (typeof request.SecretId !== 'string' || !request.SecretId) {
    return [400, { __type: 'ValidationException', message: "Value at 'secretId' must not be null" }];
  }
  const secret = secrets.find(request.SecretId);
  // Only the current version is kept locally: any other version asked for is gone.
  const otherVersion =
    (request.VersionId !== undefined && request.VersionId !== secret?.versionId) ||
    (request.VersionStage !== undefined && request.VersionStage !== 'AWSCURRENT');
  if (!secret || otherVersion) {
    return [
      400,
      { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." },
    ];
  }
  return [
    200,
    {
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.value,
      VersionId: secret.versionId,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate.getTime() / 1000,
    },
  ];
}
