/**
 * The HTTP contract shared by every API function: JSON in and out, RFC 9457 problem details for
 * every error, `x-request-id` on every response, and no 500 for anything a client sent.
 */
import { AuthKitError, InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from '@authkit/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export const MAX_BODY_BYTES = 16 * 1024;

export type HttpRequest = {
  requestId: string;
  method: string;
  /** The route as declared in template.yaml, e.g. `/health/ready`. */
  resource: string;
  body: Record<string, unknown>;
  query: Record<string, string | undefined>;
  pathParameters: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  sourceIp: string | undefined;
};

export type HttpResult = {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

export function parseRequest(event: APIGatewayProxyEvent): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    requestId: requestIdOf(event),
    method: event.httpMethod,
    resource: event.resource,
    body: event.httpMethod === 'GET' || event.httpMethod === 'DELETE' ? {} : parseJsonBody(event, headers),
    query: event.queryStringParameters ?? {},
    pathParameters: event.pathParameters ?? {},
    headers,
    sourceIp: event.requestContext?.identity?.sourceIp,
  };
}

function parseJsonBody(
  event: APIGatewayProxyEvent,
  headers: Record<string, string | undefined>,
): Record<string, unknown> {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES)
    throw new PayloadTooLarge(`The body must be at most ${MAX_BODY_BYTES} bytes.`);
  const contentType = headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new UnsupportedMediaType('Send the body as application/json.');
  }
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidRequest('body', 'is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequest('body', 'must be a JSON object');
  }
  return body as Record<string, unknown>;
}

export function requestIdOf(event: Partial<APIGatewayProxyEvent>): string {
  return event.requestContext?.requestId ?? 'unknown';
}

const BASE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function toResponse(result: HttpResult, requestId: string): APIGatewayProxyResult {
  const hasBody = result.body !== undefined;
  return {
    statusCode: result.status,
    headers: {
      ...BASE_HEADERS,
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...result.headers,
      'x-request-id': requestId,
    },
    body: hasBody ? JSON.stringify(result.body) : '',
  };
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An exposed AuthKitError becomes its own problem; anything else a generic 500. */
export function problemResponse(error: unknown, requestId: string): APIGatewayProxyResult {
  const exposed = error instanceof AuthKitError && error.expose;
  const status = exposed ? error.status : 500;
  const code = exposed ? error.code : 'internal_error';
  const problem = {
    type: `urn:authkit:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail: exposed
      ? error.message
      : 'Something went wrong on our side. Quote the request id if it persists.',
    code,
    ...(error instanceof InvalidRequest ? { field: error.field } : {}),
    requestId,
  };
  return {
    statusCode: status,
    headers: {
      ...BASE_HEADERS,
      ...(exposed ? error.headers() : {}),
      'content-type': 'application/problem+json',
      'x-request-id': requestId,
    },
    body: JSON.stringify(problem),
  };
}
