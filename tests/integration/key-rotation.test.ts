/**
 * Rotating the signing key and revoking a leaked one, end to end but for Lambda itself: RotateSecret
 * through the real SDK client to the local Secrets Manager, which runs the rotation's four steps
 * (the core, with the layer's adapter and its own SDK client); tokens signed from the secret as the
 * functions read it (here with a 1 s max age, 60 s in the functions); the keys the JWKS handler
 * serves; sessions in DynamoDB Local. Tokens are verified as a resource server would, with jose
 * against the served JWKS (ES256, `typ` at+jwt, issuer, audience, 30 s of clock skew), and by
 * AuthKit's own authorizer (verifyAccessToken), which reads the same secret.
 */
import { readFileSync } from 'node:fs';
import { RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import { observability } from '../../functions/_shared/powertools.ts';
import { jwksHandler } from '../../functions/api/jwks.ts';
import { verifyAccessToken } from '../../layers/core/src/access-token.ts';
import {
  SecretsManagerSecrets,
  SecretsManagerVersions,
} from '../../layers/core/src/adapters/secrets-manager.ts';
import {
  type KeyRotationDeps,
  minimumGenerationAgeSeconds,
  rotateSigningKey,
  runKeyCommand,
} from '../../layers/core/src/key-rotation.ts';
import { checkSigningSecret } from '../../layers/core/src/secret-material.ts';
import { keyRingSource, SIGNING_SECRET_MAX_AGE_SECONDS } from '../../layers/core/src/signing-key.ts';
import { systemClock, systemRandom } from '../../layers/core/src/system.ts';
import { refreshSession, startSession, type TokenDeps } from '../../layers/core/src/tokens.ts';
import { LocalSecretsManager } from '../../local/secrets-manager.ts';
import { secretArn } from '../../local/template.ts';
import { accountAudit, stores } from '../support/core-fixtures.ts';
import {
  localSecretsManagerClient,
  ROTATION_OPERATIONS,
  serveSecretsManager,
} from '../support/secrets-manager.ts';

const SEED = 'key-rotation-test-seed-'.padEnd(64, 'k');
const TTL_SECONDS = 900;
const SKEW_SECONDS = 30;
const MAX_AGE_SECONDS = 1;
const DAY_MS = 86_400_000;
const ISSUER = 'https://auth.test';
const AUDIENCE = 'rotation-test';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:SigningKeyRotationFunction';
const JWKS_REQUEST = JSON.parse(
  readFileSync(new URL('../../events/api/jwks.json', import.meta.url), 'utf8'),
) as APIGatewayProxyEvent;
const CONTEXT = { functionName: 'JwksFunction', awsRequestId: 'req-jwks' } as Context;

const pastMaxAge = () => new Promise((resolve) => setTimeout(resolve, MAX_AGE_SECONDS * 1000 + 100));
const sdk = (endpoint: string) => localSecretsManagerClient(endpoint);

let local: LocalSecretsManager;
/** Where the functions read secrets and the operator calls RotateSecret. */
let served: Awaited<ReturnType<typeof serveSecretsManager>>;
/** Where the rotation function alone calls: what it calls is held to its role. */
let rotationServed: Awaited<ReturnType<typeof serveSecretsManager>>;
let client: SecretsManagerClient;
let rotationClient: SecretsManagerClient;

beforeAll(async () => {
  local = new LocalSecretsManager();
  served = await serveSecretsManager(local);
  rotationServed = await serveSecretsManager(local);
  client = sdk(served.endpoint);
  rotationClient = sdk(rotationServed.endpoint);
  // The function's handler, in one line: the step a Secrets Manager event names.
  local.useRotationFunctions((_, event) => rotateSigningKey(rotationDeps(secretIdOf(event)), event));
});

afterAll(async () => {
  client.destroy();
  rotationClient.destroy();
  await served.close();
  await rotationServed.close();
});

const secretIdOf = (event: unknown) => (event as { SecretId: string }).SecretId;

function rotationDeps(secretId: string): KeyRotationDeps {
  return {
    secrets: new SecretsManagerVersions(rotationClient),
    clock: systemClock,
    secretId,
    accessTtlSeconds: TTL_SECONDS,
  };
}

let stacks = 0;

/** A signing-key secret of its own (a plain seed a day old, as a stack's), and what reads it. */
function stack() {
  const name = `SigningKeySecret-rotation-${++stacks}`;
  const id = secretArn(name);
  local.put(name, SEED, new Date(Date.now() - DAY_MS));
  local.configureRotation(name, FUNCTION_ARN, 90);
  // Each reader keeps its own cache, as each function's sandbox does.
  const keyRing = () => {
    const value = new SecretsManagerSecrets({ client, maxAgeSeconds: MAX_AGE_SECONDS }).source(id);
    return keyRingSource(async () => checkSigningSecret(await value(), id));
  };
  const signing = keyRing();
  const tokens: TokenDeps = {
    sessions: stores().sessions,
    clock: systemClock,
    random: systemRandom,
    signingKey: async () => (await signing()).current,
    config: {
      issuer: ISSUER,
      audience: AUDIENCE,
      idTokenAudience: 'rotation-test-app',
      accessTtlSeconds: TTL_SECONDS,
      refreshIdleSeconds: 86_400,
      refreshAbsoluteSeconds: 86_400,
    },
  };
  const jwks = jwksHandler({ observability: observability(), keyRing: keyRing() });
  // AuthKit's own authorizer, with a cache of its own as its sandbox has.
  const access = {
    keyRing: keyRing(),
    sessions: stores().sessions,
    clock: systemClock,
    config: tokens.config,
  };
  const user = {
    userId: `usr_rotation${stacks}`,
    identifierKey: `email#rotation${stacks}@example.com`,
    createdAt: 0,
  };
  return {
    name,
    id,
    tokens,
    secret: () => local.find(name) ?? assertNever(`no ${name}`),
    signIn: () => startSession(tokens, user, { method: 'otp', network: 'unknown' }),
    /** The keys GET /.well-known/jwks.json answers now. */
    keys: async () => {
      const response = await jwks(JWKS_REQUEST, CONTEXT);
      return (JSON.parse(response.body) as { keys: JWK[] }).keys;
    },
    jwks: () => jwks(JWKS_REQUEST, CONTEXT),
    /** What AuthKit's authorizer answers for an access token now. */
    authorize: (token: string) => verifyAccessToken(access, token),
    rotate: () => client.send(new RotateSecretCommand({ SecretId: id })),
  };
}

function assertNever(message: string): never {
  throw new Error(message);
}

const kidsOf = (keys: JWK[]) => keys.map((key) => key.kid);
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** A resource server's check of an access token against the JWKS it holds, at `at` (ms). */
const verify = (token: string, keys: JWK[], at = Date.now()) =>
  jwtVerify(token, createLocalJWKSet({ keys }), {
    algorithms: ['ES256'],
    typ: 'at+jwt',
    issuer: ISSUER,
    audience: AUDIENCE,
    clockTolerance: SKEW_SECONDS,
    currentDate: new Date(at),
  });

describe('a rotation of the signing key', () => {
  it('signs new tokens with the key JWKS published as next before it, and tokens signed before still verify', async () => {
    // Prepare
    const { signIn, keys, rotate, secret, authorize } = stack();
    const before = await keys();
    const signedBefore = await signIn();

    // Act
    await rotate();
    await pastMaxAge();
    const signedAfter = await signIn();
    const after = await keys();

    // Assess
    expect(secret().rotation.lastFailure).toBeUndefined();
    expect(kidsOf(before)).toHaveLength(2);
    expect(kidOf(signedBefore.accessToken)).toBe(before[0]?.kid);
    expect(kidOf(signedAfter.accessToken)).toBe(before[1]?.kid);
    expect(kidsOf(after)).toEqual([before[1]?.kid, expect.any(String), before[0]?.kid]);
    // A verifier that fetched JWKS before the rotation already holds the new key.
    await expect(verify(signedAfter.accessToken, before)).resolves.toBeDefined();
    await expect(verify(signedBefore.accessToken, after)).resolves.toBeDefined();
    await expect(verify(signedAfter.accessToken, after)).resolves.toBeDefined();
    await expect(authorize(signedBefore.accessToken)).resolves.toMatchObject({ ok: true });
    await expect(authorize(signedAfter.accessToken)).resolves.toMatchObject({ ok: true });
  });

  it('is refused by the guard when it comes too soon, keys untouched; once allowed, the key it retires has outlived every token it signed', async () => {
    // Prepare
    const { signIn, keys, rotate, secret } = stack();
    const firstKey = (await keys())[0]?.kid;
    const signedByFirst = await signIn();
    await rotate();
    const second = secret().versionId;

    // Act
    await rotate();
    const refused = { ...secret().rotation.lastFailure };
    const labelsAfterRefusal = Object.fromEntries(
      [...secret().versions.values()].map((version) => [version.versionId, [...version.stages]]),
    );
    // The second generation has been current for the minimum: as if that time had passed.
    const current = secret().current;
    const secondSince = current.createdDate.getTime();
    current.createdDate = new Date(Date.now() - minimumGenerationAgeSeconds(TTL_SECONDS) * 1000);
    await rotate();
    await pastMaxAge();
    const after = await keys();

    // Assess
    expect(refused).toEqual({
      step: 'createSecret',
      error: expect.stringMatching(
        /^KeyRotationRefused: Generation 2 of \S+ became current \d s ago; the next may sign from/,
      ),
    });
    expect(Object.values(labelsAfterRefusal).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    expect(labelsAfterRefusal[second]).toEqual(['AWSCURRENT']);
    expect(secret().rotation.lastFailure).toBeUndefined();
    expect(checkSigningSecret(secret().value, 'current').generation).toBe(3);
    expect(kidsOf(after)).not.toContain(firstKey);
    // The first key left JWKS no sooner than the guard allowed: after its last token expired.
    const lastTokenExpired = ((decodeJwt(signedByFirst.accessToken).exp ?? 0) + SKEW_SECONDS) * 1000;
    expect(secondSince + minimumGenerationAgeSeconds(TTL_SECONDS) * 1000).toBeGreaterThan(lastTokenExpired);
    await expect(verify(signedByFirst.accessToken, after, lastTokenExpired)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
  });
});

describe('JWKS', () => {
  it('asks verifiers to keep its keys no longer than the max-age the guard counts on', async () => {
    // Act
    const response = await stack().jwks();

    // Assess
    const counted = minimumGenerationAgeSeconds(TTL_SECONDS) - TTL_SECONDS - SIGNING_SECRET_MAX_AGE_SECONDS;
    expect(response.headers?.['cache-control']).toBe(`public, max-age=${counted}`);
    expect(counted).toBe(300);
  });
});

describe('revoking a leaked key', () => {
  it('drops it from JWKS and from signing within the max age; the session lives on, its refresh token gets tokens under the next key', async () => {
    // Prepare
    const { id, signIn, keys, tokens, authorize } = stack();
    const signed = await signIn();
    const leaked = kidOf(signed.accessToken) as string;
    const before = await keys();
    const acceptedBefore = await authorize(signed.accessToken);

    // Act
    const revoked = await runKeyCommand(rotationDeps(id), { command: 'keys-revoke', kid: leaked });
    await pastMaxAge();
    const after = await keys();
    const refreshed = await refreshSession(
      { ...tokens, audit: accountAudit(systemClock) },
      signed.refreshToken,
      {
        source: { ip: '203.0.113.7' },
        requestId: 'req-refresh',
      },
    );

    // Assess
    expect(revoked).toMatchObject({
      revoked: { kid: leaked, generation: 1, role: 'signing' },
      generation: 2,
    });
    expect(kidsOf(after)).toEqual([before[1]?.kid, expect.any(String)]);
    await expect(verify(signed.accessToken, after)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    expect(kidOf(refreshed.accessToken)).toBe(before[1]?.kid);
    await expect(verify(refreshed.accessToken, after)).resolves.toBeDefined();
    expect(acceptedBefore).toMatchObject({ ok: true });
    await expect(authorize(signed.accessToken)).resolves.toEqual({ ok: false, reason: 'unknown-key' });
    await expect(authorize(refreshed.accessToken)).resolves.toMatchObject({ ok: true });
  });
});

describe("the rotation function's calls", () => {
  it('are the operations its role grants on the secret, and no other', async () => {
    // Prepare
    const { id, rotate, signIn } = stack();
    const { accessToken } = await signIn();

    // Act
    await rotate();
    await runKeyCommand(rotationDeps(id), { command: 'keys-status' });
    await runKeyCommand(rotationDeps(id), { command: 'keys-revoke', kid: kidOf(accessToken) as string });

    // Assess
    expect([...rotationServed.operations].sort()).toEqual([...ROTATION_OPERATIONS].sort());
  });
});
