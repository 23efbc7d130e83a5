/**
 * The rotation function's steps and the operator's key commands, one rule at a time: the core with
 * the layer's Secrets Manager adapter and the real SDK client, against the local Secrets Manager on
 * a loopback port (versions, staging labels, RotateSecret's empty AWSPENDING version). Time is the
 * rotation's own clock, moved by hand.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecretsManagerVersions } from '../../layers/core/src/adapters/secrets-manager.ts';
import { InvalidRequest } from '../../layers/core/src/errors.ts';
import {
  type KeyRotationDeps,
  KeyRotationRefused,
  minimumGenerationAgeSeconds,
  PENDING_MAX_AGE_SECONDS,
  type RotationStep,
  rotateSigningKey,
  runKeyCommand,
} from '../../layers/core/src/key-rotation.ts';
import { checkSigningSecret, serializeSigningSecret } from '../../layers/core/src/secret-material.ts';
import { deriveKeyRing, deriveSigningKey } from '../../layers/core/src/signing-key.ts';
import { LocalSecretsManager } from '../../local/secrets-manager.ts';
import { secretArn } from '../../local/template.ts';
import { localSecretsManagerClient, serveSecretsManager } from '../support/secrets-manager.ts';

const SEED = 'unit-rotation-seed-'.padEnd(64, 'q');
const OTHER_SEED = 'unit-rotation-seed-'.padEnd(64, 'w');
const TTL_SECONDS = 900;
const MINIMUM_MS = minimumGenerationAgeSeconds(TTL_SECONDS) * 1000;
const DAY_MS = 86_400_000;
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:SigningKeyRotationFunction';

let local: LocalSecretsManager;
let served: Awaited<ReturnType<typeof serveSecretsManager>>;
let client: SecretsManagerClient;

beforeAll(async () => {
  local = new LocalSecretsManager();
  // RotateSecret only makes the empty AWSPENDING version here: each spec runs the steps itself.
  local.useRotationFunctions(async () => undefined);
  served = await serveSecretsManager(local);
  client = localSecretsManagerClient(served.endpoint);
});

afterAll(async () => {
  client.destroy();
  await served.close();
});

let secrets = 0;

/** A signing-key secret of its own, holding `value` since `age` ms ago, with rotation on. */
function signingSecret(value: string = SEED, age = DAY_MS) {
  const name = `SigningKeySecret${++secrets}`;
  local.put(name, value, new Date(Date.now() - age));
  local.configureRotation(name, FUNCTION_ARN, 90);
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  const deps: KeyRotationDeps = {
    secrets: new SecretsManagerVersions(client),
    clock,
    secretId: secretArn(name),
    accessTtlSeconds: TTL_SECONDS,
  };
  const secret = () => local.find(name) ?? assertNever('no secret');
  const labels = () =>
    Object.fromEntries([...secret().versions.values()].map((v) => [v.versionId, [...v.stages].sort()]));
  return {
    name,
    deps,
    clock,
    secret,
    labels,
    /** RotateSecret as Secrets Manager starts it: an empty version, AWSPENDING, under a new token. */
    begin: async () => (await local.rotateSecret({ SecretId: name })).VersionId,
    step: (step: RotationStep, token: string) =>
      rotateSigningKey(deps, { Step: step, SecretId: deps.secretId, ClientRequestToken: token }),
  };
}

function assertNever(message: string): never {
  throw new Error(message);
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => assertNever('expected a refusal'),
    (error: Error) => error,
  );

describe('minimumGenerationAgeSeconds', () => {
  it("is an access token's lifetime, plus how long functions keep the signing secret, plus JWKS's max-age: 21 minutes by default", () => {
    // Act & Assess
    expect(minimumGenerationAgeSeconds(900)).toBe(900 + 60 + 300);
  });
});

describe('createSecret', () => {
  it('puts the next generation of the same seed as AWSPENDING under the token, leaving AWSCURRENT where it was', async () => {
    // Prepare
    const rotation = signingSecret();
    const current = rotation.secret().versionId;
    const token = await rotation.begin();

    // Act
    const outcome = await rotation.step('createSecret', token);

    // Assess
    expect(outcome).toEqual({
      step: 'createSecret',
      outcome: 'created',
      generation: 2,
      kid: (await deriveSigningKey(SEED, 2)).kid,
    });
    expect(checkSigningSecret(rotation.secret().versions.get(token)?.value, 'pending')).toEqual({
      seed: SEED,
      generation: 2,
    });
    expect(rotation.labels()).toEqual({ [current]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
  });

  it('carries a revocation over: the generations it revoked stay unpublished', async () => {
    // Prepare
    const rotation = signingSecret(serializeSigningSecret({ seed: SEED, generation: 4, revokedBelow: 4 }));
    const token = await rotation.begin();

    // Act
    await rotation.step('createSecret', token);

    // Assess
    expect(checkSigningSecret(rotation.secret().versions.get(token)?.value, 'pending')).toEqual({
      seed: SEED,
      generation: 5,
      revokedBelow: 4,
    });
  });

  it('run again with the same token (Secrets Manager retries), leaves the pending version as it is', async () => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    await rotation.step('createSecret', token);
    const pending = rotation.secret().versions.get(token)?.value;

    // Act
    const again = await rotation.step('createSecret', token);

    // Assess
    expect(again).toMatchObject({ outcome: 'already-created', generation: 2 });
    expect(rotation.secret().versions.get(token)?.value).toBe(pending);
  });

  it('refuses while the current generation is younger than the minimum, and takes AWSPENDING off so a later rotation can start', async () => {
    // Prepare
    const rotation = signingSecret(SEED, MINIMUM_MS - 5_000);
    const current = rotation.secret().versionId;
    const token = await rotation.begin();

    // Act
    const error = await refusal(rotation.step('createSecret', token));

    // Assess
    expect(error).toBeInstanceOf(KeyRotationRefused);
    expect(error.message).toMatch(
      /^Generation 1 of \S+ became current 125\d s ago; the next may sign from \S+, 1260 s after \(access-token lifetime 900 s \+ signing-secret cache 60 s \+ JWKS max-age 300 s\)/,
    );
    expect(rotation.labels()).toEqual({ [current]: ['AWSCURRENT'], [token]: [] });
    await expect(local.rotateSecret({ SecretId: rotation.name })).resolves.toMatchObject({
      VersionId: expect.any(String),
    });
  });

  it('lets the rotation through once the current generation is exactly the minimum old, not a second sooner', async () => {
    // Prepare
    const rotation = signingSecret(SEED, 0);
    const created = rotation.secret().current.createdDate.getTime();
    const sooner = await rotation.begin();
    rotation.clock.offset = created + MINIMUM_MS - 1_000 - Date.now();
    await expect(rotation.step('createSecret', sooner)).rejects.toBeInstanceOf(KeyRotationRefused);
    const token = await rotation.begin();

    // Act
    rotation.clock.offset = created + MINIMUM_MS - Date.now();
    const outcome = await rotation.step('createSecret', token);

    // Assess
    expect(outcome.outcome).toBe('created');
  });

  it('refuses when rotation is turned off for the secret', async () => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    rotation.secret().rotation = {};

    // Act & Assess
    await expect(rotation.step('createSecret', token)).rejects.toThrow(
      `Rotation is not turned on for ${rotation.deps.secretId}`,
    );
  });

  it('refuses a token that is no version of the secret, and one that is not AWSPENDING', async () => {
    // Prepare
    const rotation = signingSecret();
    const previous = rotation.secret().versionId;
    const token = await rotation.begin();
    await rotation.step('createSecret', token);
    await rotation.step('finishSecret', token);

    // Act & Assess
    await expect(rotation.step('createSecret', 'no-such-version')).rejects.toThrow(
      'has no stage for rotation',
    );
    await expect(rotation.step('createSecret', previous)).rejects.toThrow('is not AWSPENDING for rotation');
  });

  it('refuses an event that is not a rotation step, naming the field', async () => {
    // Prepare
    const rotation = signingSecret();

    // Act
    const error = await refusal(
      rotateSigningKey(rotation.deps, { Step: 'dropSecret', SecretId: rotation.name }),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).field).toBe('Step');
  });
});

describe('setSecret', () => {
  it('changes nothing: verifiers take the next key from JWKS, which publishes it already', async () => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    await rotation.step('createSecret', token);
    const before = rotation.labels();

    // Act
    const outcome = await rotation.step('setSecret', token);

    // Assess
    expect(outcome).toEqual({ step: 'setSecret', outcome: 'nothing-to-set' });
    expect(rotation.labels()).toEqual(before);
  });
});

describe('testSecret', () => {
  it('passes the successor, whose key JWKS publishes now as the next one', async () => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    await rotation.step('createSecret', token);
    const published = (await deriveKeyRing({ seed: SEED, generation: 1 })).published.map((jwk) => jwk.kid);

    // Act
    const outcome = await rotation.step('testSecret', token);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'tested', generation: 2 });
    expect(published[1]).toBe(outcome.kid);
  });

  it.each([
    ['another seed', { seed: OTHER_SEED, generation: 2 }],
    ['a generation skipped', { seed: SEED, generation: 3 }],
    ['a revocation added', { seed: SEED, generation: 2, revokedBelow: 2 }],
  ])('refuses a pending value that is not the successor: %s', async (_, pending) => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    local.putSecretValue({
      SecretId: rotation.name,
      ClientRequestToken: token,
      SecretString: serializeSigningSecret(pending),
      VersionStages: ['AWSPENDING'],
    });

    // Act & Assess
    await expect(rotation.step('testSecret', token)).rejects.toThrow(
      'is not the successor of the current generation 1',
    );
  });

  it("passes Secrets Manager's check of a rotation being set up: a pending copy of the current value, or none", async () => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    local.putSecretValue({
      SecretId: rotation.name,
      ClientRequestToken: token,
      SecretString: SEED,
      VersionStages: ['AWSPENDING'],
    });
    const empty = signingSecret();
    const emptyToken = await empty.begin();
    rotation.secret().rotation = {};

    // Act & Assess
    await expect(rotation.step('testSecret', token)).resolves.toMatchObject({
      outcome: 'configuration-tested',
      generation: 1,
    });
    await expect(empty.step('testSecret', emptyToken)).resolves.toMatchObject({
      outcome: 'configuration-tested',
    });
  });
});

describe('finishSecret', () => {
  it('makes the pending version AWSCURRENT, the old one AWSPREVIOUS, and takes AWSPENDING off', async () => {
    // Prepare
    const rotation = signingSecret();
    const previous = rotation.secret().versionId;
    const token = await rotation.begin();
    await rotation.step('createSecret', token);

    // Act
    const outcome = await rotation.step('finishSecret', token);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'promoted', generation: 2 });
    expect(rotation.labels()).toEqual({ [previous]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
    expect(checkSigningSecret(rotation.secret().value, 'current').generation).toBe(2);
  });

  it('run again once done (Secrets Manager retries), changes nothing', async () => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    await rotation.step('createSecret', token);
    await rotation.step('finishSecret', token);
    const after = rotation.labels();

    // Act
    const again = await rotation.step('finishSecret', token);

    // Assess
    expect(again).toEqual({ step: 'finishSecret', outcome: 'already-current' });
    expect(rotation.labels()).toEqual(after);
  });

  it('refuses, and abandons the rotation, when the current version changed since createSecret (a revocation, a new seed)', async () => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    await rotation.step('createSecret', token);
    local.put(rotation.name, OTHER_SEED, new Date(Date.now() - DAY_MS));
    const current = rotation.secret().versionId;

    // Act
    const error = await refusal(rotation.step('finishSecret', token));

    // Assess
    expect(error.message).toContain('is not the successor of the current generation 1');
    expect(rotation.secret().value).toBe(OTHER_SEED);
    expect(rotation.labels()[current]).toEqual(['AWSCURRENT']);
    expect(rotation.labels()[token]).toEqual([]);
  });

  it('refuses, and abandons the rotation, when the current value was put again since createSecret: the generation counts from its new version', async () => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    await rotation.step('createSecret', token);
    local.put(rotation.name, SEED);

    // Act
    const error = await refusal(rotation.step('finishSecret', token));

    // Assess
    expect(error.message).toMatch(/^Generation 1 of \S+ became current \d s ago/);
    expect(rotation.labels()[token]).toEqual([]);
  });

  it(`refuses, and abandons the rotation, when the pending version is more than ${PENDING_MAX_AGE_SECONDS} s old: it would date the new generation too early`, async () => {
    // Prepare
    const rotation = signingSecret();
    const token = await rotation.begin();
    await rotation.step('createSecret', token);
    rotation.clock.offset = (PENDING_MAX_AGE_SECONDS + 2) * 1000;

    // Act
    const error = await refusal(rotation.step('finishSecret', token));

    // Assess
    expect(error).toBeInstanceOf(KeyRotationRefused);
    expect(error.message).toMatch(/was created 6\d s ago, more than 60 s/);
    expect(checkSigningSecret(rotation.secret().value, 'current').generation).toBe(1);
    expect(rotation.labels()[token]).toEqual([]);
  });
});

describe('keys-status', () => {
  it('tells the published keys, what each is, and the earliest the next rotation may run', async () => {
    // Prepare
    const rotation = signingSecret(serializeSigningSecret({ seed: SEED, generation: 3 }));
    const created = rotation.secret().current.createdDate.getTime();

    // Act
    const status = await runKeyCommand(rotation.deps, { command: 'keys-status' });

    // Assess
    const kid = async (generation: number) => (await deriveSigningKey(SEED, generation)).kid;
    expect(status).toEqual({
      command: 'keys-status',
      generation: 3,
      keys: [
        { kid: await kid(3), generation: 3, role: 'signing' },
        { kid: await kid(4), generation: 4, role: 'next' },
        { kid: await kid(2), generation: 2, role: 'previous' },
      ],
      currentSince: new Date(created).toISOString(),
      nextRotationFrom: new Date(created + MINIMUM_MS).toISOString(),
    });
  });
});

describe('keys-revoke', () => {
  const kid = async (generation: number) => (await deriveSigningKey(SEED, generation)).kid;
  const at3 = () => signingSecret(serializeSigningSecret({ seed: SEED, generation: 3 }));

  it.each([
    [
      'the signing key: the next one signs, and nothing below it is published',
      3,
      { generation: 4, revokedBelow: 4 },
      [4, 5],
    ],
    [
      'the previous key: the signing key stays, the previous one goes',
      2,
      { generation: 3, revokedBelow: 3 },
      [3, 4],
    ],
    ['the next key: it never signs, the one after it does', 4, { generation: 5, revokedBelow: 5 }, [5, 6]],
  ])('revoking %s', async (_, leaked, after, published) => {
    // Prepare
    const rotation = at3();

    // Act
    const result = await runKeyCommand(rotation.deps, { command: 'keys-revoke', kid: await kid(leaked) });

    // Assess
    expect(checkSigningSecret(rotation.secret().value, 'current')).toEqual({ seed: SEED, ...after });
    expect(result).toMatchObject({
      command: 'keys-revoke',
      revoked: { kid: await kid(leaked), generation: leaked },
    });
    const keys = (await deriveKeyRing({ seed: SEED, ...after })).published.map((jwk) => jwk.kid);
    expect(keys).toEqual(await Promise.all(published.map(kid)));
    expect(keys).not.toContain(await kid(leaked));
  });

  it('refuses a kid JWKS does not publish, naming the field, and changes nothing', async () => {
    // Prepare
    const rotation = at3();
    const before = rotation.secret().versionId;

    // Act
    const error = await refusal(runKeyCommand(rotation.deps, { command: 'keys-revoke', kid: await kid(1) }));

    // Assess
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).field).toBe('kid');
    expect(rotation.secret().versionId).toBe(before);
  });

  it('abandons a rotation under way, whose successor would bring the revoked key back', async () => {
    // Prepare
    const rotation = at3();
    const token = await rotation.begin();
    await rotation.step('createSecret', token);

    // Act
    await runKeyCommand(rotation.deps, { command: 'keys-revoke', kid: await kid(3) });

    // Assess
    expect(rotation.labels()[token]).toEqual([]);
    await expect(rotation.step('finishSecret', token)).rejects.toThrow('has no stage for rotation');
  });

  it('makes later rotations wait: the guard counts from the revocation', async () => {
    // Prepare
    const rotation = at3();
    await runKeyCommand(rotation.deps, { command: 'keys-revoke', kid: await kid(3) });
    const token = await rotation.begin();

    // Act & Assess
    await expect(rotation.step('createSecret', token)).rejects.toThrow('Generation 4 of');
  });
});
