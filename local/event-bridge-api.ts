/**
 * `POST /_aws/events`: EventBridge's PutEvents (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`)
 * onto the local default bus. As on AWS, the call answers 200 when it was understood and refuses
 * entries one by one: FailedEntryCount, and an ErrorCode and ErrorMessage in each refused entry's
 * place.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { busEvent, type LocalEventBus } from './event-bus.ts';

type RequestEntry = {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Resources?: unknown;
  Time?: unknown;
  EventBusName?: unknown;
};
type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const MAX_ENTRIES = 10;

export function handleEventBridge(
  bus: LocalEventBus,
  target: string | undefined,
  body: Buffer,
  response: ServerResponse,
): void {
  const [status, payload] = putEvents(bus, target, body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
  });
  response.end(JSON.stringify(payload));
}

function putEvents(
  bus: LocalEventBus,
  target: string | undefined,
  body: Buffer,
): [status: number, payload: Record<string, unknown>] {
  if (target !== 'AWSEvents.PutEvents') {
    return [400, { __type: 'UnknownOperationException', message: `${target} is not served locally` }];
  }
  let request: { Entries?: unknown };
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return [400, { __type: 'SerializationException', message: 'The request body is not JSON' }];
  }
  const entries = request.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
    return [
      400,
      {
        __type: 'ValidationException',
        message: `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      },
    ];
  }
  const results = entries.map((entry: RequestEntry) => accept(bus, entry));
  return [
    200,
    { FailedEntryCount: results.filter((entry) => 'ErrorCode' in entry).length, Entries: results },
  ];
}

function accept(bus: LocalEventBus, entry: RequestEntry): ResultEntry {
  const refuse = (ErrorCode: string, ErrorMessage: string) => ({ ErrorCode, ErrorMessage });
  const required = (name: string) =>
    refuse('InvalidArgument', `Parameter ${name} is not valid. Reason: ${name} is a required argument.`);
  if (typeof entry.Source !== 'string' || !entry.Source) return required('Source');
  if (typeof entry.DetailType !== 'string' || !entry.DetailType) return required('DetailType');
  if (typeof entry.Detail !== 'string' || !entry.Detail) return required('Detail');
  // Sources beginning "aws." belong to AWS services: no account may put events under them.
  if (entry.Source.startsWith('aws.'))
    return refuse('NotAuthorizedForSourceException', 'Not authorized for the source.');
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    return refuse('MalformedDetail', 'Detail is malformed.');
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
    return refuse('MalformedDetail', 'Detail is malformed.');
  const busName = entry.EventBusName;
  if (busName !== undefined && busName !== 'default' && !String(busName).endsWith(':event-bus/default'))
    return refuse('ResourceNotFoundException', `Event bus ${String(busName)} does not exist.`);
  const resources = Array.isArray(entry.Resources) ? entry.Resources.map(String) : [];
  const time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : undefined;
  const event = busEvent({
    source: entry.Source,
    detailType: entry.DetailType,
    detail,
    resources,
    time,
  });
  bus.publish(event);
  return { EventId: event.id };
}
