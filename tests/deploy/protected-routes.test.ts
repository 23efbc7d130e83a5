/**
 * The protected routes as CloudFormation receives them (the SAM transform run offline): every route
 * of a signed-in user's own resources is behind AuthKit's AccessToken authorizer, no public route is,
 * API Gateway may invoke the authorizer, never caches its answers (a revoked session must stop within
 * a second), and answers its refusals as problem+json.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${…} here are CloudFormation's Fn::Sub.
import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '../../local/runtime.ts';
import { samTranslated } from '../support/python.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resource = { Type: string; Properties: Record<string, Json> };
type Operation = { security?: Record<string, string[]>[] };
type Authorizer = {
  type?: string;
  authorizerUri?: Json;
  authorizerResultTtlInSeconds?: number;
  identityValidationExpression?: string;
};

const translated = samTranslated<{ Resources: Record<string, Resource> }>(REPO_ROOT);
const resources = Object.entries(translated.Resources);
const [apiId, api] = resources.find(([, resource]) => resource.Type === 'AWS::ApiGateway::RestApi') ?? [];
const body = (api?.Properties.Body ?? {}) as {
  paths?: Record<string, Record<string, Operation>>;
  components?: {
    securitySchemes?: Record<
      string,
      { in?: string; name?: string; 'x-amazon-apigateway-authorizer'?: Authorizer }
    >;
  };
  'x-amazon-apigateway-gateway-responses'?: Record<
    string,
    {
      statusCode?: string;
      responseParameters?: Record<string, string>;
      responseTemplates?: Record<string, string>;
    }
  >;
};

/** A signed-in user's own resources: the routes that need an access token. */
const PROTECTED = /^\/v1\/(me|sessions|devices)(\/|$)/;

const routes = Object.entries(body.paths ?? {}).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    route: `${method.toUpperCase()} ${path}`,
    path,
    authorizers: (operation.security ?? []).flatMap((requirement) => Object.keys(requirement)),
  })),
);

describe('the protected routes', () => {
  it("are every route of a user's own resources, each behind the AccessToken authorizer", () => {
    // Prepare
    const protectedRoutes = routes.filter(({ path }) => PROTECTED.test(path));

    // Assess
    expect(protectedRoutes.map(({ route }) => route)).toEqual(expect.arrayContaining(['GET /v1/me']));
    for (const { route, authorizers } of protectedRoutes) {
      expect({ route, authorizers }).toEqual({ route, authorizers: ['AccessToken'] });
    }
  });

  it('leave every other route public: signing in, tokens, JWKS and health need no access token', () => {
    // Prepare
    const publicRoutes = routes.filter(({ path }) => !PROTECTED.test(path));

    // Assess
    expect(publicRoutes.map(({ route }) => route)).toEqual(
      expect.arrayContaining(['POST /v1/auth/start', 'POST /v1/auth/logout', 'GET /.well-known/jwks.json']),
    );
    for (const { route, authorizers } of publicRoutes)
      expect({ route, authorizers }).toEqual({ route, authorizers: [] });
  });
});

describe('the AccessToken authorizer', () => {
  const scheme = body.components?.securitySchemes?.AccessToken;
  const authorizer = scheme?.['x-amazon-apigateway-authorizer'];

  it("is AuthKit's authorizer function, given the Authorization header as a TOKEN", () => {
    // Assess
    expect(scheme).toMatchObject({ in: 'header', name: 'Authorization' });
    expect(authorizer?.type).toBe('token');
    expect(JSON.stringify(authorizer?.authorizerUri)).toContain(
      '{"Fn::GetAtt":["AuthorizerFunction","Arn"]}',
    );
  });

  it('never caches an answer: each request is authorized against the session as it stands', () => {
    // Assess
    expect(authorizer?.authorizerResultTtlInSeconds).toBe(0);
  });

  it('is refused anything but a Bearer JWS before it is invoked', () => {
    // Prepare
    const expression = new RegExp(authorizer?.identityValidationExpression ?? '');

    // Assess
    expect(expression.test('Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln')).toBe(true);
    for (const refused of ['Basic dXNlcjpwYXNz', 'Bearer garbage', 'eyJ.eyJ.c2ln', 'Bearer a.b.c extra']) {
      expect({ refused, matches: expression.test(refused) }).toEqual({ refused, matches: false });
    }
  });

  it('may be invoked by this API, and only by it', () => {
    // Prepare
    const permissions = resources
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Permission')
      .map(([, resource]) => resource.Properties)
      .filter((permission) => JSON.stringify(permission.FunctionName).includes('"AuthorizerFunction"'));

    // Assess
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['AuthorizerFunction', 'Arn'] },
        Principal: 'apigateway.amazonaws.com',
        SourceArn: {
          'Fn::Sub': [
            'arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*',
            { __ApiId__: { Ref: apiId ?? '' } },
          ],
        },
      },
    ]);
  });
});

describe("the API's answers to a refused request", () => {
  const responses = body['x-amazon-apigateway-gateway-responses'] ?? {};

  it('are 401 unauthorized problem+json with a Bearer challenge, never cached', () => {
    // Assess
    expect(responses.UNAUTHORIZED?.statusCode).toBe('401');
    expect(responses.UNAUTHORIZED?.responseParameters).toEqual({
      'gatewayresponse.header.Content-Type': "'application/problem+json'",
      'gatewayresponse.header.x-request-id': 'context.requestId',
      'gatewayresponse.header.WWW-Authenticate': "'Bearer'",
      'gatewayresponse.header.Cache-Control': "'no-store'",
    });
    expect(JSON.parse(responses.UNAUTHORIZED?.responseTemplates?.['application/json'] ?? '')).toMatchObject({
      status: 401,
      code: 'unauthorized',
      requestId: '$context.requestId',
    });
  });

  it('are 403 access_denied problem+json when a policy does not allow the method', () => {
    // Assess
    expect(responses.ACCESS_DENIED?.statusCode).toBe('403');
    expect(JSON.parse(responses.ACCESS_DENIED?.responseTemplates?.['application/json'] ?? '')).toMatchObject({
      status: 403,
      code: 'access_denied',
    });
  });
});
