/**
 * How soon a changed signing-key secret (a rotation, a revoked key) reaches a warm function: the
 * JWKS function as the composition root builds it for Lambda, reading the secret through the local
 * Secrets Manager with the real SDK client. Only the clock the secrets cache reads (Date) is moved.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handler } from '../../functions/api/jwks.ts';
import { serializeSigningSecret } from '../../layers/core/src/secret-material.ts';
import { LocalSecretsManager } from '../../local/secrets-manager.ts';
import { LOCAL_REGION, secretArn } from '../../local/template.ts';
import { serveSecretsManager } from '../support/secrets-manager.ts';

const SEED = 'signing-secret-age-seed-'.padEnd(64, 'a');
const REQUEST = { httpMethod: 'GET', path: '/.well-known/jwks.json', headers: {} } as APIGatewayProxyEvent;
const CONTEXT = { functionName: 'JwksFunction', awsRequestId: 'req-age' } as Context;

let local: LocalSecretsManager;
let served: Awaited<ReturnType<typeof serveSecretsManager>>;

beforeAll(async () => {
  local = new LocalSecretsManager();
  served = await serveSecretsManager(local);
});

afterAll(() => served.close());

afterEach(() => {
  jest.useRealTimers();
});

/** The JWKS function of a fresh sandbox, built from its template environment. */
async function jwksFunction() {
  local.put('SigningKeySecret', SEED);
  const jwks = await handler.fromEnvironment({
    SIGNING_KEY_SECRET_ID: secretArn('SigningKeySecret'),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: served.endpoint,
  });
  return async () => {
    const response = (await jwks(REQUEST, CONTEXT)) as APIGatewayProxyResult;
    return (JSON.parse(response.body) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
  };
}

/** Only Date moves: the SDK's and the server's timers keep running. */
function clockAt(start: number) {
  jest.useFakeTimers({
    now: start,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  return (seconds: number) => jest.setSystemTime(start + seconds * 1000);
}

describe('a warm function holding the signing-key secret', () => {
  beforeAll(() => {
    // The SDK reads its region and credentials from the process, as on Lambda.
    process.env.AWS_REGION ??= LOCAL_REGION;
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  });

  it('reads it again after a minute, not five: a revoked key leaves its JWKS within 61 s', async () => {
    // Prepare
    const keys = await jwksFunction();
    const at = clockAt(Date.now());
    const before = await keys();
    local.put('SigningKeySecret', serializeSigningSecret({ seed: SEED, generation: 2, revokedBelow: 2 }));

    // Act
    at(59);
    const within = await keys();
    at(61);
    const after = await keys();

    // Assess
    expect(within).toEqual(before);
    expect(after).toEqual([before[1], expect.any(String)]);
    expect(after).not.toContain(before[0]);
  });
});
