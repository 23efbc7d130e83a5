/**
 * Secrets Manager, locally: the template's generated secrets (random per start, under their
 * logical ids) and the secrets it names through parameters (the captcha secret, given with
 * `--secret Name=Value`). A secret is found by ARN or by name, as GetSecretValue's SecretId is.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type LocalTemplate, secretArn } from './template.ts';

export type LocalSecret = {
  name: string;
  arn: string;
  value: string;
  /** A new one per value, as `put-secret-value` makes a new AWSCURRENT version. */
  versionId: string;
  createdDate: Date;
};

export class LocalSecretsManager {
  readonly #byName = new Map<string, LocalSecret>();

  /** Creates the secret or gives it a new current value (a rotation). */
  put(name: string, value: string): LocalSecret {
    const secret = { name, arn: secretArn(name), value, versionId: randomUUID(), createdDate: new Date() };
    this.#byName.set(name, secret);
    return secret;
  }

  find(secretId: string): LocalSecret | undefined {
    const prefix = secretArn('');
    return this.#byName.get(secretId.startsWith(prefix) ? secretId.slice(prefix.length) : secretId);
  }

  /**
   * Fails at startup, as a deploy would, when a function is given the id of a secret that does not
   * exist here (`*_SECRET_ID` variables, see secretIdVariable), instead of at the first request.
   */
  requireEvery(environment: Record<string, string>): void {
    for (const [variable, id] of Object.entries(environment)) {
      if (!variable.endsWith('_SECRET_ID') || !id || this.find(id)) continue;
      throw new Error(
        `No local value for the secret ${id} (${variable}): give it with --secret ${id}=<value>`,
      );
    }
  }
}

/** Every secret of the template, with `values` (by logical id or name) where given, random otherwise. */
export function localSecrets(
  template: LocalTemplate,
  values: Record<string, string> = {},
): LocalSecretsManager {
  const secrets = new LocalSecretsManager();
  for (const [id] of template.resourcesOfType('AWS::SecretsManager::Secret')) {
    secrets.put(id, values[id] ?? randomBytes(48).toString('base64url'));
  }
  for (const [name, value] of Object.entries(values)) {
    if (!secrets.find(name)) secrets.put(name, value);
  }
  return secrets;
}
