/**
 * API Gateway (REST, proxy integration) in front of the local functions: matches the routes of
 * template.yaml, builds the same event shape, writes the function's response back.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { LocalLambda } from './lambda.ts';
import type { Route } from './template.ts';

type CompiledRoute = Route & { pattern: RegExp; params: string[] };

export class LocalApiGateway {
  readonly #routes: CompiledRoute[];
  readonly #lambda: LocalLambda;
  readonly #stage: string;

  constructor(routes: Route[], lambda: LocalLambda, stage: string) {
    this.#routes = routes.map(compile);
    this.#lambda = lambda;
    this.#stage = stage;
  }

  match(
    method: string,
    path: string,
  ): { route: CompiledRoute; pathParameters: Record<string, string> } | 'method' | undefined {
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
    found: { route: CompiledRoute; pathParameters: Record<string, string> },
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const event = this.#event(request, url, body, found);
    const result = (await this.#lambda.invoke(found.route.functionId, event)) as APIGatewayProxyResult;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
      headers[name] = values.map(String);
    response.writeHead(result.statusCode, headers);
    response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
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
