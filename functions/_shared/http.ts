/**
 * The HTTP contract shared by every API function: JSON in and out, RFC 9457 problem details for
 * every error, `x-request-id` on every response, and no 500 for anything a client sent.
 */
import {
  AuthKitError,
  INTERNAL_ERROR,
  InvalidRequest,
  PayloadTooLarge,
  Unauthorized,
  UnsupportedMediaType,
} from '@authkit/core';
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
  /** What AuthKit's authorizer put in the request context (protected routes only); see callerOf. */
  authorizer: Record<string, unknown> | undefined;
};

/**
 * The signed-in caller of a protected route, from the context AuthKit's Lambda authorizer returned:
 * API Gateway hands it to the function as `requestContext.authorizer`, every value a string.
 */
export type Caller = {
  userId: string;
  sessionId: string;
  /** The device the session is bound to, if any. */
  deviceId: string | undefined;
  identifierKey: string;
};

/** The caller, or Unauthorized: a protected route the authorizer did not run before is refused. */
export function callerOf(request: HttpRequest): Caller {
  const context = request.authorizer ?? {};
  const text = (key: string) =>
    typeof context[key] === 'string' && context[key] !== '' ? context[key] : undefined;
  const userId = text('userId');
  const sessionId = text('sessionId');
  const identifierKey = text('identifierKey');
  if (!userId || !sessionId || !identifierKey) throw new Unauthorized();
  return { userId, sessionId, identifierKey, deviceId: text('deviceId') };
}

export type HttpResult = {
  status: number;
  /** JSON; or, with `html`, the page's markup as it is sent. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The body is an HTML page (`text/html`), sent as it is. */
  html?: true;
};

export function parseRequest(event: APIGatewayProxyEvent): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    requestId: requestIdOf(event),
    method: event.httpMethod,
    resource: event.resource,
    body: ['GET', 'HEAD', 'DELETE'].includes(event.httpMethod) ? {} : parseJsonBody(event, headers),
    query: event.queryStringParameters ?? {},
    pathParameters: event.pathParameters ?? {},
    headers,
    sourceIp: event.requestContext?.identity?.sourceIp,
    authorizer: event.requestContext?.authorizer ?? undefined,
  };
}

function parseJsonBody(
  event: APIGatewayProxyEvent,
  headers: Record<string, string | undefined>,
): Record<string, unknown> {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLarge();
  const contentType = headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new UnsupportedMediaType();
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
  const contentType = result.html ? 'text/html; charset=utf-8' : 'application/json';
  return {
    statusCode: result.status,
    headers: {
      ...BASE_HEADERS,
      ...(hasBody ? { 'content-type': contentType } : {}),
      ...result.headers,
      'x-request-id': requestId,
    },
    body: !hasBody ? '' : result.html ? String(result.body) : JSON.stringify(result.body),
  };
}

/** An AuthKitError becomes its own problem, with its data; anything else a generic 500. */
export function problemResponse(error: unknown, requestId: string): APIGatewayProxyResult {
  const known = error instanceof AuthKitError ? error : undefined;
  const { status, code, title, detail } = known ?? INTERNAL_ERROR;
  const problem = {
    type: `urn:authkit:problem:${code}`,
    title,
    status,
    detail,
    code,
    ...known?.data(),
    requestId,
  };
  return {
    statusCode: status,
    headers: {
      ...BASE_HEADERS,
      ...known?.headers(),
      'content-type': 'application/problem+json',
      'x-request-id': requestId,
    },
    body: JSON.stringify(problem),
  };
}
