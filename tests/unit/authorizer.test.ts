/**
 * The authorizer function's answers, API Gateway's contract for a TOKEN authorizer: a policy that
 * allows the method called with the caller as context, or the error `Unauthorized` (401). Refusals
 * are counted by reason and never log the token; an outage is not a refusal (API Gateway answers 500,
 * and the app keeps its tokens).
 */

import { describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { SignJWT } from 'jose';
import { observability } from '../../functions/_shared/powertools.ts';
import { authorizerHandler } from '../../functions/api/authorizer.ts';
import type { AccessTokenDeps } from '../../layers/core/src/access-token.ts';
import type { SessionSummary } from '../../layers/core/src/ports.ts';
import { deriveKeyRing } from '../../layers/core/src/signing-key.ts';
import { capturePowertoolsOutput } from '../support/powertools-output.ts';

const SEED = 'unit-test-authorizer-seed-'.padEnd(48, 'z');
const ring = await deriveKeyRing({ seed: SEED, generation: 1 });
const ISSUER = 'https://auth.example.com';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/live/GET/v1/me';
const SESSION: SessionSummary = {
  sessionId: 'ses_1',
  userId: 'usr_ada',
  identifierKey: 'email#ada@example.com',
  createdAt: Date.now() - 60_000,
  absoluteExpiresAt: Date.now() + 86_400_000,
  method: 'otp',
  network: '203.0.113.0/24',
  lastSeenAt: Date.now() - 60_000,
};

const context = {
  functionName: 'AuthorizerFunction',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:AuthorizerFunction',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 10_000,
} as Context;

function handler(findSession: AccessTokenDeps['sessions']['findSession'] = async () => SESSION) {
  return authorizerHandler({
    observability: observability(),
    access: {
      keyRing: async () => ring,
      sessions: { findSession },
      clock: { now: () => Date.now() },
      config: { issuer: ISSUER, audience: 'authkit', accessTtlSeconds: 900 },
    },
  });
}

function accessToken(
  lifetime: { iat: number; exp: number } = { iat: now(), exp: now() + 900 },
): Promise<string> {
  return new SignJWT({ sid: 'ses_1', token_use: 'access' })
    .setProtectedHeader({ alg: 'ES256', kid: ring.current.kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience('authkit')
    .setSubject('usr_ada')
    .setJti('jti1')
    .setIssuedAt(lifetime.iat)
    .setExpirationTime(lifetime.exp)
    .sign(ring.current.privateKey);
}

const now = () => Math.floor(Date.now() / 1000);
const event = (authorizationToken: string) => ({
  type: 'TOKEN' as const,
  authorizationToken,
  methodArn: METHOD_ARN,
});

describe('the authorizer function', () => {
  const output = capturePowertoolsOutput();
  const lines = output.lines;

  it('allows exactly the method called, for the user, with the caller as context', async () => {
    // Act
    const result = await handler()(event(`Bearer ${await accessToken()}`), context);

    // Assess
    expect(result).toEqual({
      principalId: 'usr_ada',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN }],
      },
      context: {
        userId: 'usr_ada',
        sessionId: 'ses_1',
        deviceId: '',
        identifierKey: 'email#ada@example.com',
      },
    });
    expect(lines()).toContainEqual(expect.objectContaining({ Authorized: 1 }));
  });

  it.each([
    ['no header value', async () => '', 'malformed'],
    ['another scheme', async () => `Basic ${await accessToken()}`, 'malformed'],
    ['a token that is not a JWS', async () => 'Bearer garbage', 'malformed'],
    [
      'an expired token',
      async () => `Bearer ${await accessToken({ iat: now() - 960, exp: now() - 60 })}`,
      'expired',
    ],
  ])('answers Unauthorized to %s, counted by reason', async (_, authorization, reason) => {
    // Act
    const refused = handler()(event(await authorization()), context);

    // Assess
    await expect(refused).rejects.toThrow(new Error('Unauthorized'));
    expect(lines()).toContainEqual(expect.objectContaining({ reason, Unauthorized: 1 }));
  });

  it('answers Unauthorized for a revoked session, and logs the reason but never the token', async () => {
    // Prepare
    const token = await accessToken();

    // Act
    const refused = handler(async () => ({ ...SESSION, revokedAt: Date.now() }))(
      event(`Bearer ${token}`),
      context,
    );

    // Assess
    await expect(refused).rejects.toThrow(new Error('Unauthorized'));
    expect(lines()).toContainEqual(
      expect.objectContaining({ message: 'access token refused', reason: 'session' }),
    );
    const [, payload, signature] = token.split('.');
    expect(output.written().join('')).not.toContain(payload);
    expect(output.written().join('')).not.toContain(signature);
  });

  it('fails (API Gateway answers 500), not Unauthorized, when the session store cannot be read', async () => {
    // Prepare
    const outage = Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });

    // Act
    const failed = handler(async () => Promise.reject(outage))(
      event(`Bearer ${await accessToken()}`),
      context,
    );

    // Assess
    await expect(failed).rejects.toBe(outage);
    expect(lines()).toContainEqual(expect.objectContaining({ AuthorizerFailed: 1 }));
  });
});
