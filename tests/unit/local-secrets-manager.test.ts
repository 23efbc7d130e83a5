/**
 * The local Secrets Manager's versions and staging labels, as the service keeps them, through the
 * real SDK client: what a rotation function relies on (and what `npm start` lets a developer try).
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LocalSecretsManager } from '../../local/secrets-manager.ts';
import { localSecretsManagerClient, serveSecretsManager } from '../support/secrets-manager.ts';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:SigningKeyRotationFunction';

let local: LocalSecretsManager;
let served: Awaited<ReturnType<typeof serveSecretsManager>>;
let client: SecretsManagerClient;
/** The rotation steps RotateSecret ran, and a step to fail, if any. */
const invoked: { Step: string; ClientRequestToken: string; pending?: string | undefined }[] = [];
let failing: string | undefined;

beforeAll(async () => {
  local = new LocalSecretsManager();
  local.useRotationFunctions(async (arn, event) => {
    const step = event as { Step: string; SecretId: string; ClientRequestToken: string };
    const pending = local.find(step.SecretId)?.versions.get(step.ClientRequestToken)?.value;
    invoked.push({ Step: step.Step, ClientRequestToken: step.ClientRequestToken, pending });
    if (arn !== FUNCTION_ARN) throw new Error(`invoked ${arn}`);
    if (step.Step === failing) throw new Error(`${failing} failed`);
  });
  served = await serveSecretsManager(local);
  client = localSecretsManagerClient(served.endpoint);
});

afterAll(async () => {
  client.destroy();
  await served.close();
});

let secrets = 0;
const secretNamed = (value = 'first-value') => {
  const name = `authkit/local-${++secrets}`;
  local.put(name, value);
  return name;
};
const stagesOf = async (name: string) =>
  (await client.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ name: 'none' }),
    (error: Error) => ({ name: error.name, message: error.message }),
  );

describe('PutSecretValue', () => {
  it('makes a new AWSCURRENT version by default; the one it replaces becomes AWSPREVIOUS', async () => {
    // Prepare
    const name = secretNamed();
    const first = local.find(name)?.versionId as string;

    // Act
    const put = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'second-value' }),
    );

    // Assess
    expect(await stagesOf(name)).toEqual({
      [first]: ['AWSPREVIOUS'],
      [put.VersionId as string]: ['AWSCURRENT'],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(
      'second-value',
    );
  });

  it('puts a version with the stages asked for, AWSCURRENT untouched; the same token and value again is the same version', async () => {
    // Prepare
    const name = secretNamed();
    const current = local.find(name)?.versionId as string;
    const put = {
      SecretId: name,
      ClientRequestToken: 'token-0000000000000000000000000001',
      SecretString: 'next',
    };

    // Act
    await client.send(new PutSecretValueCommand({ ...put, VersionStages: ['AWSPENDING'] }));
    await client.send(new PutSecretValueCommand({ ...put, VersionStages: ['AWSPENDING'] }));

    // Assess
    expect(await stagesOf(name)).toEqual({
      [current]: ['AWSCURRENT'],
      [put.ClientRequestToken]: ['AWSPENDING'],
    });
    const pending = await client.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPENDING' }),
    );
    expect(pending).toMatchObject({ SecretString: 'next', VersionStages: ['AWSPENDING'] });
  });

  it("refuses another value under an existing version's token", async () => {
    // Prepare
    const name = secretNamed();
    const token = local.find(name)?.versionId;

    // Act
    const error = await refusalOf(
      client.send(
        new PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, SecretString: 'other' }),
      ),
    );

    // Assess
    expect(error.name).toBe('ResourceExistsException');
  });
});

describe('UpdateSecretVersionStage', () => {
  it('moves AWSCURRENT only from the version named as holding it, leaving AWSPREVIOUS there', async () => {
    // Prepare
    const name = secretNamed();
    const first = local.find(name)?.versionId as string;
    const { VersionId: next } = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'next', VersionStages: ['AWSPENDING'] }),
    );
    const move = { SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: next };

    // Act
    const unnamed = await refusalOf(client.send(new UpdateSecretVersionStageCommand(move)));
    await client.send(new UpdateSecretVersionStageCommand({ ...move, RemoveFromVersionId: first }));

    // Assess
    expect(unnamed.name).toBe('InvalidParameterException');
    expect(await stagesOf(name)).toEqual({
      [first]: ['AWSPREVIOUS'],
      [next as string]: ['AWSPENDING', 'AWSCURRENT'],
    });
  });

  it('takes a label off a version, but never AWSCURRENT', async () => {
    // Prepare
    const name = secretNamed();
    const first = local.find(name)?.versionId as string;
    const { VersionId: next } = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'next', VersionStages: ['AWSPENDING'] }),
    );
    const remove = (stage: string, from: string | undefined) =>
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: stage,
          RemoveFromVersionId: from,
        }),
      );

    // Act
    await remove('AWSPENDING', next);
    const current = await refusalOf(remove('AWSCURRENT', first));

    // Assess
    expect(current.name).toBe('InvalidParameterException');
    expect(await stagesOf(name)).toEqual({ [first]: ['AWSCURRENT'] });
  });
});

describe('RotateSecret', () => {
  it("runs the rotation function's four steps in order on an empty AWSPENDING version, under one new token", async () => {
    // Prepare
    const name = secretNamed();
    local.configureRotation(name, FUNCTION_ARN, 90);
    invoked.length = 0;

    // Act
    const { VersionId: token } = await client.send(new RotateSecretCommand({ SecretId: name }));

    // Assess
    expect(invoked).toEqual(
      ['createSecret', 'setSecret', 'testSecret', 'finishSecret'].map((Step) => ({
        Step,
        ClientRequestToken: token,
        pending: undefined,
      })),
    );
    expect((await client.send(new DescribeSecretCommand({ SecretId: name }))).RotationEnabled).toBe(true);
  });

  it('with RotateImmediately false, runs testSecret alone on a copy of the current value, then removes it', async () => {
    // Prepare
    const name = secretNamed('current-value');
    local.configureRotation(name, FUNCTION_ARN, 90);
    const before = await stagesOf(name);
    invoked.length = 0;

    // Act
    await client.send(new RotateSecretCommand({ SecretId: name, RotateImmediately: false }));

    // Assess
    expect(invoked).toEqual([
      { Step: 'testSecret', ClientRequestToken: expect.any(String), pending: 'current-value' },
    ]);
    expect(await stagesOf(name)).toEqual(before);
  });

  it('stops at a failed step, and refuses to start again while AWSPENDING is left on a version that is not AWSCURRENT', async () => {
    // Prepare
    const name = secretNamed();
    local.configureRotation(name, FUNCTION_ARN, 90);
    invoked.length = 0;
    failing = 'testSecret';

    // Act
    const first = await client.send(new RotateSecretCommand({ SecretId: name })).finally(() => {
      failing = undefined;
    });
    const again = await refusalOf(client.send(new RotateSecretCommand({ SecretId: name })));

    // Assess
    expect(invoked.map((step) => step.Step)).toEqual(['createSecret', 'setSecret', 'testSecret']);
    expect(local.find(name)?.rotation.lastFailure).toEqual({
      step: 'testSecret',
      error: 'Error: testSecret failed',
    });
    expect((await stagesOf(name))[first.VersionId as string]).toEqual(['AWSPENDING']);
    expect(again).toEqual({
      name: 'InvalidRequestException',
      message: "A previous rotation isn't complete. That rotation will be reattempted.",
    });
  });

  it('refuses a secret with no rotation function', async () => {
    // Act
    const error = await refusalOf(client.send(new RotateSecretCommand({ SecretId: secretNamed() })));

    // Assess
    expect(error.name).toBe('InvalidRequestException');
  });
});
