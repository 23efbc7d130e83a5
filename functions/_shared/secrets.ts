import {
  MIN_SECRET_LENGTH,
  requireVariable,
  type SecretName,
  type SecretSource,
  secretIdVariable,
} from '@authkit/core';
import { SecretsManagerClient, SecretsManagerSecrets } from '@authkit/core/adapters/secrets-manager';
import { tracer } from './powertools.ts';

/** One cache per function: each secret is read from Secrets Manager at most once per max age. */
const secrets = new SecretsManagerSecrets({
  client: tracer.captureAWSv3Client(new SecretsManagerClient({})),
});

/**
 * The secret's value, read per invocation through the cache. Call at cold start: a function not
 * given the secret's id stops there, naming the variable; nothing is read until a request needs it.
 */
export function secretSource(secret: SecretName): SecretSource {
  return secrets.source(requireVariable(process.env, secretIdVariable(secret)), {
    minLength: MIN_SECRET_LENGTH[secret],
  });
}
