import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretSource, SecretVersion, SecretVersions } from '../ports.ts';
import { checkSecretMaterial } from '../secret-material.ts';

/** The client a function builds (and hands to the tracer) for SecretsManagerSecrets. */
export { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * How long a warm function keeps a secret before reading it again, unless its source says otherwise
 * (MAX_SECRET_AGE_SECONDS, per secret). Five minutes bounds a rotation: every warm function uses the
 * new value within 5 minutes of `put-secret-value`, with no redeploy.
 */
export const SECRET_MAX_AGE_SECONDS = 300;

/**
 * Secrets read at run time from Secrets Manager (GetSecretValue, the AWSCURRENT version) through
 * the Powertools parameters cache. One instance per function: its cache is its own.
 */
export class SecretsManagerSecrets {
  readonly #provider: SecretsProvider;
  readonly #maxAgeSeconds: number;

  /**
   * `client`: the function's own (e.g. captured by the tracer); `maxAgeSeconds`: whole seconds
   * (the cache counts in seconds), SECRET_MAX_AGE_SECONDS unless a test needs rotation sooner.
   */
  constructor(options: { client?: SecretsManagerClient; maxAgeSeconds?: number } = {}) {
    this.#provider = new SecretsProvider(options.client ? { awsSdkV3Client: options.client } : {});
    this.#maxAgeSeconds = options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS;
  }

  /**
   * The secret's SecretString, checked to hold at least `minLength` characters on every read, kept
   * `maxAgeSeconds` when given (see MAX_SECRET_AGE_SECONDS), else the instance's max age.
   */
  source(secretId: string, options: { minLength?: number; maxAgeSeconds?: number } = {}): SecretSource {
    const minLength = options.minLength ?? 1;
    const maxAge = options.maxAgeSeconds ?? this.#maxAgeSeconds;
    return async () => {
      // throwOnMissing: an unknown secret fails naming its id, not with the SDK's anonymous message.
      const value = await this.#provider.get(secretId, { maxAge, throwOnMissing: true });
      return checkSecretMaterial(value, secretId, minLength);
    };
  }
}

/**
 * A secret's versions and staging labels, uncached, for the rotation function: DescribeSecret,
 * GetSecretValue by stage and version, PutSecretValue, UpdateSecretVersionStage.
 */
export class SecretsManagerVersions implements SecretVersions {
  readonly #client: SecretsManagerClient;

  constructor(client: SecretsManagerClient) {
    this.#client = client;
  }

  async describe(secretId: string): Promise<{ rotationEnabled: boolean; stages: Record<string, string[]> }> {
    const described = await this.#client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return {
      rotationEnabled: described.RotationEnabled === true,
      stages: described.VersionIdsToStages ?? {},
    };
  }

  async read(secretId: string, stage: string, versionId?: string): Promise<SecretVersion | undefined> {
    try {
      const version = await this.#client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: versionId }),
      );
      if (typeof version.SecretString !== 'string' || !version.VersionId) return undefined;
      return {
        versionId: version.VersionId,
        value: version.SecretString,
        // Always set by Secrets Manager; were it missing, the version counts as new (the guard waits).
        createdAt: version.CreatedDate?.getTime() ?? Date.now(),
      };
    } catch (error) {
      // No version with that stage, or one that holds no value yet (a rotation's first moment).
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  async put(secretId: string, value: string, options: { versionId?: string; stages?: string[] } = {}) {
    const put = await this.#client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: value,
        ClientRequestToken: options.versionId,
        VersionStages: options.stages,
      }),
    );
    return put.VersionId ?? '';
  }

  async moveStage(secretId: string, stage: string, move: { to?: string; from?: string }): Promise<void> {
    await this.#client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: stage,
        MoveToVersionId: move.to,
        RemoveFromVersionId: move.from,
      }),
    );
  }
}
