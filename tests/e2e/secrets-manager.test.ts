/**
 * The local runtime's Secrets Manager endpoint, on its own port, as the functions call it: the real
 * `@aws-sdk/client-secrets-manager` client and the Powertools SecretsProvider behind the layer's
 * adapter. A secret is found by its ARN (what `Ref` gives) or by its name.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecretsManagerSecrets } from '../../layers/core/src/adapters/secrets-manager.ts';
import { SecretMaterialError } from '../../layers/core/src/secret-material.ts';
import { type LocalRuntime, REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate, secretArn } from '../../local/template.ts';
import { localSecretsManagerClient } from '../support/secrets-manager.ts';
import { startTestRuntime } from '../support/stack.ts';

const PEPPER_ARN = secretArn('CodePepperSecret');
const UNKNOWN_ID = 'authkit/never-created';

let runtime: LocalRuntime;
let client: SecretsManagerClient;

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = localSecretsManagerClient(`${runtime.url}/_aws/secretsmanager`);
});

afterAll(async () => {
  client.destroy();
  await runtime.close();
});

describe('the local Secrets Manager endpoint', () => {
  it('is where the functions read their secrets', () => {
    // Assess
    expect(process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER).toBe(
      `http://127.0.0.1:${new URL(runtime.url).port}/_aws/secretsmanager`,
    );
    const functions = new LocalTemplate(REPO_ROOT, { parameters: { TokenIssuer: runtime.url } }).functions();
    expect(functions.find((fn) => fn.id === 'VerifyFunction')?.environment.CODE_PEPPER_SECRET_ID).toBe(
      PEPPER_ARN,
    );
  });

  it.each([
    ['its ARN', PEPPER_ARN],
    ['its name', 'CodePepperSecret'],
  ])('answers GetSecretValue for a secret by %s, in the service shape', async (_, secretId) => {
    // Act
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));

    // Assess
    expect(answer).toMatchObject({
      ARN: PEPPER_ARN,
      Name: 'CodePepperSecret',
      SecretString: runtime.secrets.find('CodePepperSecret')?.value,
      VersionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      VersionStages: ['AWSCURRENT'],
    });
    expect(answer.SecretString?.length).toBeGreaterThanOrEqual(32);
    expect(answer.CreatedDate).toBeInstanceOf(Date);
  });

  it('answers ResourceNotFoundException for an id it does not know', async () => {
    // Act
    const error = await client
      .send(new GetSecretValueCommand({ SecretId: UNKNOWN_ID }))
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('serves the Powertools SecretsProvider by ARN and by name', async () => {
    // Prepare
    const provider = new SecretsProvider({ awsSdkV3Client: client });
    const value = runtime.secrets.find('SigningKeySecret')?.value;

    // Act & Assess
    await expect(provider.get(secretArn('SigningKeySecret'))).resolves.toBe(value);
    await expect(provider.get('SigningKeySecret', { forceFetch: true })).resolves.toBe(value);
  });

  it('answers the new value after a put, as after a rotation', async () => {
    // Prepare
    runtime.secrets.put('authkit/rotating', 'first-value');
    const before = await client.send(new GetSecretValueCommand({ SecretId: 'authkit/rotating' }));

    // Act
    runtime.secrets.put('authkit/rotating', 'second-value');
    const after = await client.send(new GetSecretValueCommand({ SecretId: 'authkit/rotating' }));

    // Assess
    expect(after.SecretString).toBe('second-value');
    expect(after.VersionId).not.toBe(before.VersionId);
  });
});

describe('starting the runtime', () => {
  it('stops, naming the secret, when a function is given the id of a secret it has no value for', async () => {
    // Act
    const outcome = await startTestRuntime({
      CaptchaProvider: 'turnstile',
      CaptchaSecretName: 'authkit/turnstile',
    }).then(
      async (started) => {
        await started.close();
        return 'started';
      },
      (error: Error) => error.message,
    );

    // Assess
    expect(outcome).toBe(
      'No local value for the secret authkit/turnstile (CAPTCHA_SECRET_ID): give it with --secret authkit/turnstile=<value>',
    );
  });
});

describe("the layer's Secrets Manager adapter against it", () => {
  const secrets = () => new SecretsManagerSecrets({ client });

  it('reads a secret by ARN', async () => {
    // Act & Assess
    await expect(secrets().source(PEPPER_ARN, { minLength: 32 })()).resolves.toBe(
      runtime.secrets.find(PEPPER_ARN)?.value,
    );
  });

  it('fails naming the id of a secret that does not exist', async () => {
    // Act & Assess
    await expect(secrets().source(UNKNOWN_ID)()).rejects.toMatchObject({
      name: 'ParameterNotFoundError',
      message: expect.stringContaining(UNKNOWN_ID),
    });
  });

  it('refuses a secret too short to key anything, naming it', async () => {
    // Prepare
    runtime.secrets.put('authkit/short-pepper', 'p'.repeat(31));

    // Act
    const read = secrets().source('authkit/short-pepper', { minLength: 32 })();

    // Assess
    await expect(read).rejects.toBeInstanceOf(SecretMaterialError);
    await expect(read).rejects.toThrow('The secret authkit/short-pepper must hold at least 32 characters');
  });
});
