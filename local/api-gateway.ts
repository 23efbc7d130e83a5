/**
 * API Gateway (REST, proxy integration) in front of the local functions: matches the routes of
 * template.yaml, runs a route's Lambda authorizer as API Gateway does, builds the same event shape,
 * writes the function's response back. API Gateway's own answers are template.yaml's
 * GatewayResponses.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { LocalLambda } from './lambda.ts';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalAuthorizer,
  type LocalGatewayResponse,
  type Route,
} from './template.ts';

type CompiledRoute = Route & { pattern: RegExp; params: string[] };
type Found = { route: CompiledRoute; pathParameters: Record<string, string> };
type Reply = { statusCode: number; headers: Record<string, string | string[]>; body: string | Buffer };

/** API Gateway's status for a gateway response type that template.yaml leaves at its default. */
const DEFAULT_STATUS: Record<string, number> = {
  UNAUTHORIZED: 401,
  ACCESS_DENIED: 403,
  AUTHORIZER_FAILURE: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
};

export class LocalApiGateway {
  readonly #routes: CompiledRoute[];
  readonly #lambda: LocalLambda;
  readonly #stage: string;
  readonly #gatewayResponses: (apiId: string) => Record<string, LocalGatewayResponse>;

  constructor(
    routes: Route[],
    lambda: LocalLambda,
    stage: string,
    gatewayResponses: (apiId: string) => Record<string, LocalGatewayResponse> = () => ({}),
  ) {
    this.#routes = routes.map(compile);
    this.#lambda = lambda;
    this.#stage = stage;
    this.#gatewayResponses = gatewayResponses;
  }

  match(method: string, path: string): Found | 'method' | undefined {
    let pathMatched = false;
    for (const route of this.#routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method && route.method !== 'ANY') continue;
      const pathParameters = Object.fromEntries(
        route.params.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]),
      );
      return { route, pathParameters };
    }
    return pathMatched ? 'method' : undefined;
  }

  async handle(
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    found: Found,
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const event = this.#event(request, url, body, found);
    const { authorizer } = found.route;
    if (authorizer) {
      const outcome = await this.#authorize(found.route, authorizer, request, event);
      if ('refusal' in outcome) return write(response, outcome.refusal);
      event.requestContext.authorizer = outcome.context;
    }
    const result = (await this.#lambda.invoke(found.route.functionId, event)) as APIGatewayProxyResult;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
      headers[name] = values.map(String);
    write(response, {
      statusCode: result.statusCode,
      headers,
      body: result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body,
    });
  }

  /**
   * What API Gateway does for a TOKEN authorizer with result caching off: a missing header, or one
   * its ValidationExpression refuses, is answered 401 without invoking the function; the error
   * `Unauthorized` is 401, any other error or a malformed answer 500; then the policy is evaluated
   * against the method's ARN (an explicit Deny wins, no Allow is an implicit deny: 403), and an
   * allowed request carries the context, with `principalId`, as `requestContext.authorizer`.
   */
  async #authorize(
    route: Route,
    authorizer: LocalAuthorizer,
    request: IncomingMessage,
    event: APIGatewayProxyEvent,
  ): Promise<{ refusal: Reply } | { context: Record<string, unknown> }> {
    const { requestId, apiId, httpMethod, path } = event.requestContext;
    const refuse = (type: string, message: string | null) => ({
      refusal: this.#gatewayResponse(route.apiId, event, type, message),
    });
    const token = headerValue(request, authorizer.header);
    const valid = authorizer.validationExpression;
    if (!token || (valid && !new RegExp(`^(?:${valid.source})$`, valid.flags).test(token))) {
      return refuse('UNAUTHORIZED', 'Unauthorized');
    }
    // The stage's path without the stage, as API Gateway builds it: …:<api>/<stage>/<METHOD>/<path>.
    const resourcePath = path.slice(`/${this.#stage}`.length);
    const methodArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${apiId}/${this.#stage}/${httpMethod}${resourcePath}`;
    const started = Date.now();
    let output: unknown;
    try {
      output = await this.#lambda.invoke(authorizer.functionId, {
        type: 'TOKEN',
        authorizationToken: token,
        methodArn,
      });
    } catch (error) {
      if (error instanceof Error && error.message === 'Unauthorized')
        return refuse('UNAUTHORIZED', 'Unauthorized');
      console.error(
        `local runtime: authorizer ${authorizer.functionId} failed (request ${requestId})`,
        error,
      );
      return refuse('AUTHORIZER_CONFIGURATION_ERROR', null);
    }
    const verdict = evaluatePolicy(output, methodArn);
    if (verdict === 'invalid') {
      console.error(
        `local runtime: authorizer ${authorizer.functionId} answered no valid policy (request ${requestId})`,
      );
      return refuse('AUTHORIZER_CONFIGURATION_ERROR', null);
    }
    if (verdict === 'explicit-deny') {
      return refuse('ACCESS_DENIED', 'User is not authorized to access this resource with an explicit deny');
    }
    if (verdict === 'implicit-deny')
      return refuse('ACCESS_DENIED', 'User is not authorized to access this resource');
    const { principalId, context } = output as { principalId: string; context?: Record<string, unknown> };
    return {
      context: {
        // A REST API hands the proxied function every context value as a string.
        ...Object.fromEntries(Object.entries(context ?? {}).map(([key, value]) => [key, String(value)])),
        principalId,
        integrationLatency: Date.now() - started,
      },
    };
  }

  /** The API's declared gateway response of `type`, else its DEFAULT_4XX/5XX, else API Gateway's own. */
  #gatewayResponse(apiId: string, event: APIGatewayProxyEvent, type: string, message: string | null): Reply {
    const responses = this.#gatewayResponses(apiId);
    const defaultStatus = DEFAULT_STATUS[type] ?? 500;
    const fallback = responses[defaultStatus < 500 ? 'DEFAULT_4XX' : 'DEFAULT_5XX'];
    const declared = responses[type] ?? fallback;
    const statusCode = responses[type]?.statusCode ?? fallback?.statusCode ?? defaultStatus;
    const context: Record<string, string> = {
      requestId: event.requestContext.requestId,
      'error.message': message ?? '',
      'error.messageString': JSON.stringify(message),
      'error.responseType': type,
    };
    const headers: Record<string, string> = {};
    for (const [name, expression] of Object.entries(declared?.headers ?? {})) {
      headers[name] = mappingValue(expression, context);
    }
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    const body = declared?.template
      ? declared.template.replace(/\$context\.([A-Za-z]+(?:\.[A-Za-z]+)*)/g, (_, name: string) => {
          const value = context[name];
          if (value === undefined)
            throw new Error(`local runtime: gateway responses do not support $context.${name}`);
          return value;
        })
      : JSON.stringify({ message });
    return { statusCode, headers, body };
  }

  #event(
    request: IncomingMessage,
    url: URL,
    body: Buffer,
    found: { route: CompiledRoute; pathParameters: Record<string, string> },
  ): APIGatewayProxyEvent {
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i] as string;
      const value = request.rawHeaders[i + 1] as string;
      headers[name] = value;
      multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
    }
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [name, value] of url.searchParams) {
      query[name] = value;
      multiQuery[name] = [...(multiQuery[name] ?? []), value];
    }
    const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const requestId = randomUUID();
    const hasBody = body.length > 0;
    return {
      resource: found.route.path,
      path: url.pathname,
      httpMethod: request.method ?? 'GET',
      headers,
      multiValueHeaders,
      queryStringParameters: url.searchParams.size ? query : null,
      multiValueQueryStringParameters: url.searchParams.size ? multiQuery : null,
      pathParameters: Object.keys(found.pathParameters).length ? found.pathParameters : null,
      stageVariables: null,
      body: hasBody ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: null,
        protocol: `HTTP/${request.httpVersion}`,
        httpMethod: request.method ?? 'GET',
        identity: {
          sourceIp,
          userAgent: request.headers['user-agent'] ?? null,
          accessKey: null,
          accountId: null,
          apiKey: null,
          apiKeyId: null,
          caller: null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          user: null,
          userArn: null,
        },
        path: `/${this.#stage}${url.pathname}`,
        stage: this.#stage,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: 'local',
        resourcePath: found.route.path,
      },
    };
  }
}

function write(response: ServerResponse, reply: Reply): void {
  response.writeHead(reply.statusCode, reply.headers);
  response.end(reply.body);
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** A gateway response header's mapping expression: `'literal'` or a `context.*` variable. */
function mappingValue(expression: string, context: Record<string, string>): string {
  if (/^'.*'$/.test(expression)) return expression.slice(1, -1);
  const value = expression.startsWith('context.') ? context[expression.slice('context.'.length)] : undefined;
  if (value === undefined)
    throw new Error(`local runtime: gateway response headers do not support ${expression}`);
  return value;
}

type Statement = { Effect?: unknown; Action?: unknown; Resource?: unknown };

/**
 * An authorizer's answer against the method's ARN, as API Gateway evaluates it: IAM wildcards (`*`,
 * `?`) in actions and resources, an explicit Deny over any Allow, and no Allow an implicit deny.
 * An answer without a principalId or a policy, or with a context value that is not a string, number
 * or boolean, is invalid (API Gateway answers 500).
 */
export function evaluatePolicy(
  output: unknown,
  methodArn: string,
): 'allow' | 'explicit-deny' | 'implicit-deny' | 'invalid' {
  const answer = output as {
    principalId?: unknown;
    policyDocument?: { Statement?: unknown };
    context?: unknown;
  };
  if (typeof answer?.principalId !== 'string' || !answer.policyDocument) return 'invalid';
  const context = answer.context ?? {};
  if (typeof context !== 'object' || Array.isArray(context)) return 'invalid';
  if (Object.values(context).some((value) => !['string', 'number', 'boolean'].includes(typeof value))) {
    return 'invalid';
  }
  const statements = [answer.policyDocument.Statement ?? []].flat() as Statement[];
  const applies = (statement: Statement) =>
    [statement.Action].flat().some((action) => wildcard(String(action), 'execute-api:Invoke', true)) &&
    [statement.Resource].flat().some((resource) => wildcard(String(resource), methodArn, false));
  const matching = statements.filter(applies);
  if (matching.some((statement) => statement.Effect === 'Deny')) return 'explicit-deny';
  return matching.some((statement) => statement.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}

function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function compile(route: Route): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\+?\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      params.push(param[1] as string);
      return segment.endsWith('+}') ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}/?$`), params };
}
