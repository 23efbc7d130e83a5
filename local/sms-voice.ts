/**
 * `POST /_aws/sms-voice`: End User Messaging SMS's SendTextMessage (AWS JSON 1.0,
 * `X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage`) into the local outbox. Like the service, it
 * then reports each message on the default bus as `aws.sms-voice` "Text Message Delivery Status
 * Updated" events — End User Messaging sends these to EventBridge itself, with or without a
 * configuration set. An ordinary number gets TEXT_SUCCESSFUL then a final TEXT_DELIVERED; a
 * failure simulator number a final TEXT_INVALID (AWS does not document which failure type its
 * simulator reports; locally it is the unambiguous permanent one). `Context` comes back as
 * `detail.context`.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { normalizeIdentifier } from '@authkit/core';
import { busEvent, type LocalEventBus } from './event-bus.ts';
import type { Outbox } from './outbox.ts';
import { isFailureSimulatorNumber, simulatorCountry } from './sms-simulator.ts';

const E164 = /^\+?[1-9][0-9]{1,18}$/;

type SendTextMessageRequest = {
  DestinationPhoneNumber?: unknown;
  OriginationIdentity?: unknown;
  MessageBody?: unknown;
  MessageType?: unknown;
  ConfigurationSetName?: unknown;
  Context?: unknown;
};

export function handleSmsVoice(
  parts: { bus: LocalEventBus; outbox: Outbox },
  target: string | undefined,
  body: Buffer,
  response: ServerResponse,
): void {
  const [status, payload] = sendTextMessage(parts, target, body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': randomUUID(),
  });
  response.end(JSON.stringify(payload));
}

function sendTextMessage(
  { bus, outbox }: { bus: LocalEventBus; outbox: Outbox },
  target: string | undefined,
  body: Buffer,
): [status: number, payload: Record<string, unknown>] {
  if (target !== 'PinpointSMSVoiceV2.SendTextMessage') {
    return [400, { __type: 'UnknownOperationException', message: `${target} is not served locally` }];
  }
  let request: SendTextMessageRequest;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return [400, { __type: 'SerializationException', message: 'The request body is not JSON' }];
  }
  const invalid = (field: string, message: string) =>
    [
      400,
      {
        __type: 'ValidationException',
        Message: message,
        Reason: 'FIELD_VALIDATION_FAILED',
        Fields: [{ Name: field, Message: message }],
      },
    ] as [number, Record<string, unknown>];
  const to = request.DestinationPhoneNumber;
  if (typeof to !== 'string' || !E164.test(to))
    return invalid('DestinationPhoneNumber', 'DestinationPhoneNumber must be a phone number in E.164 format');
  if (typeof request.MessageBody !== 'string' || !request.MessageBody)
    return invalid('MessageBody', 'MessageBody is required');
  const context = request.Context;
  if (
    context !== undefined &&
    (typeof context !== 'object' ||
      context === null ||
      Object.values(context).some((v) => typeof v !== 'string'))
  )
    return invalid('Context', 'Context must map strings to strings');

  const messageId = randomUUID();
  const requestedAt = Date.now();
  outbox.add({
    id: messageId,
    channel: 'sms',
    to,
    text: request.MessageBody,
    sentAt: new Date(requestedAt).toISOString(),
  });
  const text = request.MessageBody;
  const gsm = /^[\x20-\x7E\n\r]*$/.test(text);
  const perPart = gsm ? (text.length <= 160 ? 160 : 153) : text.length <= 70 ? 70 : 67;
  const statuses = isFailureSimulatorNumber(to)
    ? [['TEXT_INVALID', 'INVALID', 'Destination phone number is invalid', true, 300] as const]
    : [
        ['TEXT_SUCCESSFUL', 'SUCCESSFUL', 'Message has been accepted by phone carrier', false, 300] as const,
        ['TEXT_DELIVERED', 'DELIVERED', 'Message has been accepted by phone', true, 2000] as const,
      ];
  for (const [eventType, messageStatus, messageStatusDescription, isFinal, afterMs] of statuses) {
    const at = new Date(requestedAt + afterMs);
    bus.publish(
      busEvent({
        source: 'aws.sms-voice',
        detailType: 'Text Message Delivery Status Updated',
        time: at,
        // The documented field order of End User Messaging's event data.
        detail: {
          eventType,
          eventVersion: '1.0',
          eventTimestamp: at.getTime(),
          isFinal,
          originationPhoneNumber:
            typeof request.OriginationIdentity === 'string' ? request.OriginationIdentity : 'LOCAL',
          destinationPhoneNumber: to,
          isoCountryCode: countryOf(to),
          messageId,
          messageRequestTimestamp: requestedAt,
          messageEncoding: gsm ? 'GSM' : 'UCS2',
          messageType: typeof request.MessageType === 'string' ? request.MessageType : 'TRANSACTIONAL',
          messageStatus,
          messageStatusDescription,
          ...(context ? { context } : {}),
          totalMessageParts: Math.max(1, Math.ceil(text.length / perPart)),
          // Nothing is charged locally.
          totalMessagePrice: 0,
          totalCarrierFee: 0,
        },
      }),
    );
  }
  return [200, { MessageId: messageId }];
}

function countryOf(phoneNumber: string): string | undefined {
  const simulator = simulatorCountry(phoneNumber);
  if (simulator) return simulator;
  try {
    const identifier = normalizeIdentifier(phoneNumber);
    return identifier.kind === 'phone' ? identifier.country : undefined;
  } catch {
    return undefined;
  }
}
