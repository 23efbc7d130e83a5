import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../ports.ts';
import { checkSecretMaterial } from '../secret-material.ts';

/** The client a function builds (and hands to the tracer) for SecretsManagerSecrets. */
export { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * How long a warm function keeps a secret before reading it again. Five minutes bounds a rotation:
 * every warm function uses the new value within 5 minutes of `put-secret-value`, with no redeploy,
 * while a busy function still reads each secret only about once per 5 minutes.
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
   * `maxAgeSeconds` when given (the signing-key secret's is shorter), else the instance's max age.
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
