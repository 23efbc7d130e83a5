/**
 * The local API Gateway in front of a protected route does what API Gateway does with a TOKEN
 * authorizer (result caching off): refuses a missing or malformed Authorization header without
 * invoking the authorizer, maps its `Unauthorized` to 401 and its policy to allow or 403, and hands
 * the route the authorizer's context. Its answers are template.yaml's gateway responses.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { problemResponse } from '../../functions/_shared/http.ts';
import { Unauthorized } from '../../layers/core/src/errors.ts';
import { LocalApiGateway } from '../../local/api-gateway.ts';
import type { LocalLambda } from '../../local/lambda.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';

const template = new LocalTemplate(REPO_ROOT, {
  parameters: { TokenIssuer: 'https://auth.test' },
  overlay: join(REPO_ROOT, 'tests/fixtures/authorizer/template-overlay.yaml'),
});
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:000000000000:local/live/GET/probe/42';
const TOKEN = 'Bearer aaa.bbb.ccc';

/** What the authorizer answers in a spec; the probe route echoes the event it was given. */
let authorizerAnswer: (event: unknown) => Promise<unknown>;
const invoked: { functionId: string; event: Record<string, unknown> }[] = [];
const lambda = {
  invoke: async (functionId: string, event: Record<string, unknown>) => {
    invoked.push({ functionId, event });
    if (functionId === 'AuthorizerFunction') return authorizerAnswer(event);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
  },
} as unknown as LocalLambda;

const policy = (effect: 'Allow' | 'Deny', resource = METHOD_ARN) => ({
  principalId: 'usr_ada',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  },
  context: { userId: 'usr_ada', sessionId: 'ses_1', deviceId: '', identifierKey: 'email#ada@example.com' },
});

let server: Server;
let url: string;
beforeAll(async () => {
  const gateway = new LocalApiGateway(template.routes(), lambda, 'live', (apiId) =>
    template.gatewayResponses(apiId),
  );
  server = createServer((request, response) => {
    const found = gateway.match(request.method ?? 'GET', new URL(request.url ?? '/', 'http://x').pathname);
    if (!found || found === 'method') return void response.writeHead(404).end();
    void gateway.handle(request, response, Buffer.alloc(0), found);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/probe/42`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  invoked.length = 0;
  authorizerAnswer = async () => policy('Allow');
});

const get = async (authorization?: string) => {
  const response = await fetch(url, { headers: authorization ? { authorization } : {} });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
};
const authorizerCalls = () => invoked.filter((call) => call.functionId === 'AuthorizerFunction');

describe('a protected route of the local API Gateway', () => {
  it('hands the route the authorizer context and principal, after asking about exactly this method', async () => {
    // Act
    const { status, body } = await get(TOKEN);

    // Assess
    expect(status).toBe(200);
    expect(authorizerCalls().map((call) => call.event)).toEqual([
      { type: 'TOKEN', authorizationToken: TOKEN, methodArn: METHOD_ARN },
    ]);
    expect((body.requestContext as Record<string, unknown>).authorizer).toEqual({
      userId: 'usr_ada',
      sessionId: 'ses_1',
      deviceId: '',
      identifierKey: 'email#ada@example.com',
      principalId: 'usr_ada',
      integrationLatency: expect.any(Number),
    });
  });

  it.each([
    ['no Authorization header', undefined],
    ['a header the ValidationExpression refuses', 'Bearer not-a-jws'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
  ])('answers 401 to %s without invoking the authorizer', async (_, authorization) => {
    // Act
    const { status, headers } = await get(authorization);

    // Assess
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer');
    expect(invoked).toEqual([]);
  });

  it("answers the authorizer's Unauthorized with the problem a route's own Unauthorized is", async () => {
    // Prepare
    authorizerAnswer = async () => Promise.reject(new Error('Unauthorized'));

    // Act
    const { status, headers, body } = await get(TOKEN);

    // Assess
    const requestId = String(body.requestId);
    const routeProblem = problemResponse(new Unauthorized(), requestId);
    expect(status).toBe(routeProblem.statusCode);
    expect(body).toEqual(JSON.parse(routeProblem.body));
    expect(headers.get('content-type')).toBe('application/problem+json');
    expect(headers.get('x-request-id')).toBe(requestId);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(invoked.map((call) => call.functionId)).toEqual(['AuthorizerFunction']);
  });

  it.each([
    ['an explicit Deny', () => policy('Deny')],
    [
      'a Deny beside an Allow of the same method',
      () => {
        const allowed = policy('Allow');
        const denied = policy('Deny');
        allowed.policyDocument.Statement.push(...denied.policyDocument.Statement);
        return allowed;
      },
    ],
    ['an Allow of another method only', () => policy('Allow', METHOD_ARN.replace('/GET/', '/DELETE/'))],
  ])('answers 403 access_denied to %s, without invoking the route', async (_, answer) => {
    // Prepare
    authorizerAnswer = async () => answer();

    // Act
    const { status, body } = await get(TOKEN);

    // Assess
    expect(status).toBe(403);
    expect(body).toMatchObject({
      type: 'urn:authkit:problem:access_denied',
      status: 403,
      code: 'access_denied',
    });
    expect(invoked.map((call) => call.functionId)).toEqual(['AuthorizerFunction']);
  });

  it('allows by wildcard as IAM does', async () => {
    // Prepare
    authorizerAnswer = async () =>
      policy('Allow', 'arn:aws:execute-api:us-east-1:000000000000:local/live/GET/*');

    // Act & Assess
    expect((await get(TOKEN)).status).toBe(200);
  });

  it.each([
    ['fails', async () => Promise.reject(new Error('ServiceUnavailable'))],
    ['answers no policy', async () => ({ principalId: 'usr_ada' })],
    ['puts an object in the context', async () => ({ ...policy('Allow'), context: { nested: { a: 1 } } })],
  ])('answers 500 problem+json when the authorizer %s', async (_, answer) => {
    // Prepare
    authorizerAnswer = answer;
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    const { status, headers, body } = await get(TOKEN);
    quiet.mockRestore();

    // Assess
    expect(status).toBe(500);
    expect(headers.get('content-type')).toBe('application/problem+json');
    expect(body).toMatchObject({
      code: 'service_unavailable',
      responseType: 'AUTHORIZER_CONFIGURATION_ERROR',
    });
    expect(invoked.map((call) => call.functionId)).toEqual(['AuthorizerFunction']);
  });
});
