/**
 * Rotating a secret in Secrets Manager reaches warm functions without a redeploy: once the cached
 * value is older than the max age, the next read answers the new one. Here the max age is 1 s
 * (functions use SECRET_MAX_AGE_SECONDS, 300 s); the secrets are served by the local endpoint and
 * read with the real SDK client, the sessions and challenges live in DynamoDB Local.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { decodeProtectedHeader } from 'jose';
import { SecretsManagerSecrets } from '../../layers/core/src/adapters/secrets-manager.ts';
import { InvalidCode } from '../../layers/core/src/errors.ts';
import { checkSigningSecret } from '../../layers/core/src/secret-material.ts';
import { verifyCode } from '../../layers/core/src/sign-in.ts';
import { deriveSigningKey, keyRingSource } from '../../layers/core/src/signing-key.ts';
import { systemClock, systemRandom } from '../../layers/core/src/system.ts';
import { startSession, type TokenDeps } from '../../layers/core/src/tokens.ts';
import { LocalSecretsManager } from '../../local/secrets-manager.ts';
import { secretArn } from '../../local/template.ts';
import { challengeDeps, openChallenge, SOURCE, stores, verifyDeps } from '../support/core-fixtures.ts';
import { localSecretsManagerClient, serveSecretsManager } from '../support/secrets-manager.ts';
import { uniqueEmail } from '../support/stack.ts';

const MAX_AGE_SECONDS = 1;
const pastMaxAge = () => new Promise((resolve) => setTimeout(resolve, MAX_AGE_SECONDS * 1000 + 100));

const SEED = 'rotation-test-seed-'.padEnd(48, 'a');
const ROTATED_SEED = 'rotation-test-seed-'.padEnd(48, 'b');
const PEPPER = 'rotation-test-pepper-'.padEnd(48, 'a');
const ROTATED_PEPPER = 'rotation-test-pepper-'.padEnd(48, 'b');

let local: LocalSecretsManager;
let endpoint: { endpoint: string; close: () => Promise<void> };
let client: SecretsManagerClient;
let secrets: SecretsManagerSecrets;

beforeAll(async () => {
  local = new LocalSecretsManager();
  endpoint = await serveSecretsManager(local);
  client = localSecretsManagerClient(endpoint.endpoint);
});

afterAll(async () => {
  client.destroy();
  await endpoint.close();
});

beforeEach(() => {
  local.put('SigningKeySecret', SEED);
  local.put('CodePepperSecret', PEPPER);
  // A fresh cache per spec, as a fresh sandbox would have.
  secrets = new SecretsManagerSecrets({ client, maxAgeSeconds: MAX_AGE_SECONDS });
});

describe('rotating the signing-key seed', () => {
  const ada = { userId: 'usr_ada', identifierKey: 'email#ada@example.com', createdAt: Date.now() };
  const tokenDeps = (): TokenDeps => {
    const id = secretArn('SigningKeySecret');
    const seed = secrets.source(id, { minLength: 32 });
    const keyRing = keyRingSource(async () => checkSigningSecret(await seed(), id));
    return {
      sessions: stores().sessions,
      clock: systemClock,
      random: systemRandom,
      signingKey: async () => (await keyRing()).current,
      config: {
        issuer: 'https://auth.test',
        audience: 'rotation-test',
        idTokenAudience: 'rotation-test-app',
        accessTtlSeconds: 900,
        refreshIdleSeconds: 86_400,
        refreshAbsoluteSeconds: 86_400,
      },
    };
  };
  const kidOf = async (deps: TokenDeps) =>
    decodeProtectedHeader((await startSession(deps, ada, { method: 'otp', network: 'unknown' })).accessToken)
      .kid;

  it('keeps signing with the cached key until the max age has passed', async () => {
    // Prepare: a max age no slow machine outlasts, so only the cache can explain the same key.
    secrets = new SecretsManagerSecrets({ client, maxAgeSeconds: 300 });
    const deps = tokenDeps();
    const before = await kidOf(deps);

    // Act
    local.put('SigningKeySecret', ROTATED_SEED);
    const during = await kidOf(deps);

    // Assess
    expect(during).toBe(before);
  });

  it('signs with a key of the new seed once the cached seed is older than the max age', async () => {
    // Prepare
    const deps = tokenDeps();
    const before = await kidOf(deps);

    // Act
    local.put('SigningKeySecret', ROTATED_SEED);
    await pastMaxAge();
    const after = await kidOf(deps);

    // Assess
    expect(before).toBe((await deriveSigningKey(SEED, 1)).kid);
    expect(after).toBe((await deriveSigningKey(ROTATED_SEED, 1)).kid);
  });
});

describe('rotating the code pepper', () => {
  it('ends the codes issued before it; codes issued after it verify', async () => {
    // Prepare
    const deps = challengeDeps({
      pepper: secrets.source(secretArn('CodePepperSecret'), { minLength: 32 }),
    });
    const email = uniqueEmail('rotation');
    const issue = () => openChallenge(deps, email, SOURCE);
    const inFlight = await issue();

    // Act
    local.put('CodePepperSecret', ROTATED_PEPPER);
    await pastMaxAge();
    const issuedAfter = await issue();

    // Assess
    await expect(verifyCode(verifyDeps(deps), { ...inFlight, source: SOURCE })).rejects.toBeInstanceOf(
      InvalidCode,
    );
    await expect(verifyCode(verifyDeps(deps), { ...issuedAfter, source: SOURCE })).resolves.toMatchObject({
      challengeId: issuedAfter.challengeId,
    });
  });
});
