/**
 * Rotating the signing key on `npm start`'s runtime as a developer would: RotateSecret (the SDK, as
 * `aws secretsmanager rotate-secret --endpoint-url …/_aws/secretsmanager` sends it) runs
 * SigningKeyRotationFunction through the local Lambda; `npm run admin -- keys …` invokes the same
 * function. The template's secrets are dated a day back, as a stack's would be by then, so the
 * guard lets the first rotation through.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeProtectedHeader } from 'jose';
import { checkSigningSecret } from '../../layers/core/src/secret-material.ts';
import { deriveSigningKey } from '../../layers/core/src/signing-key.ts';
import { localSecretsManagerClient } from '../support/secrets-manager.ts';
import { uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();
/** The seed the runtime generated for SigningKeySecret (a plain value: generation 1). */
let SEED: string;
const kid = async (generation: number) => (await deriveSigningKey(SEED, generation)).kid;

let client: SecretsManagerClient;

beforeAll(() => {
  SEED = signingSecret().value;
  client = localSecretsManagerClient(`${suite.runtime.url}/_aws/secretsmanager`);
});

afterAll(() => client.destroy());

const signingSecret = () => suite.runtime.secrets.find('SigningKeySecret') ?? fail('no SigningKeySecret');
const rotate = () => client.send(new RotateSecretCommand({ SecretId: 'SigningKeySecret' }));

function fail(message: string): never {
  throw new Error(message);
}

/** `npm run admin -- …` against this runtime: exit code and output; it never throws. */
const admin = async (...args: string[]) => {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['scripts/admin.ts', ...args, '--url', suite.runtime.url],
      { env: { PATH: process.env.PATH } },
    );
    return { code: 0, out: stdout.trim() };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, out: failed.stderr.trim() };
  }
};

describe('rotating the signing key locally', () => {
  it('runs the rotation function: the key published as next signs, JWKS publishes the keys around it, and a second rotation is refused by the guard', async () => {
    // Act
    await rotate();
    const keys = await suite.http.get('/.well-known/jwks.json');
    const signedIn = await suite.http.signIn(uniqueEmail('rotation'));
    await rotate();

    // Assess
    expect(checkSigningSecret(signingSecret().value, 'current')).toEqual({ seed: SEED, generation: 2 });
    expect((keys.body.keys as { kid: string }[]).map((key) => key.kid)).toEqual([
      await kid(2),
      await kid(3),
      await kid(1),
    ]);
    expect(decodeProtectedHeader(signedIn.body.accessToken as string).kid).toBe(await kid(2));
    expect(signingSecret().rotation.lastFailure).toEqual({
      step: 'createSecret',
      error: expect.stringContaining('KeyRotationRefused: Generation 2 of'),
    });
  });

  it('shows the keys with `keys status`, and revokes one with `keys revoke`; a revoke needs a kid JWKS publishes', async () => {
    // Act
    const status = await admin('keys', 'status');
    const revoked = await admin('keys', 'revoke', await kid(1));
    const again = await admin('keys', 'revoke', await kid(1));
    const noKid = await admin('keys', 'revoke');

    // Assess
    expect(status.code).toBe(0);
    expect(status.out).toContain(`${await kid(1)}  generation 1, previous`);
    expect(revoked).toEqual({
      code: 0,
      out: expect.stringMatching(
        new RegExp(`^revoked ${await kid(1)}  generation 1, previous; generation 2 signs now`),
      ),
    });
    expect(checkSigningSecret(signingSecret().value, 'current')).toEqual({
      seed: SEED,
      generation: 2,
      revokedBelow: 2,
    });
    expect(again).toEqual({
      code: 1,
      out: expect.stringContaining(
        'the signing-key rotation function failed: InvalidRequest: kid: is not a key JWKS publishes now',
      ),
    });
    expect(noKid).toEqual({
      code: 2,
      out: 'keys revoke needs the kid of the leaked key (npm run admin -- help)',
    });
  });
});
