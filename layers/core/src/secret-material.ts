/**
 * What a secret read at run time must hold before it keys anything. It is checked where it is read,
 * every time, so a rotation to an unusable value fails loudly, naming the secret, instead of
 * quietly keying HMACs or signing keys with it.
 */

import type { SecretName } from './config.ts';

/**
 * The least each secret may hold. The template generates 64 characters for the pepper and the
 * seed; 32 still keeps an HMAC key or an HKDF seed well past brute force. The captcha secret is the
 * provider's, whatever its length, but never empty. The proxy's secret is the operator's, and it is
 * all that separates the proxy from a client guessing it: 32 characters too.
 */
export const MIN_SECRET_LENGTH: Readonly<Record<SecretName, number>> = {
  codePepper: 32,
  signingKeySeed: 32,
  captcha: 1,
  proxy: 32,
  auditKey: 32,
};

/** A secret that is missing, binary or too short. Never carries the value itself. */
export class SecretMaterialError extends Error {
  override readonly name = 'SecretMaterialError';
}

/**
 * The secret's text, trimmed (as the environment values it replaces were, so the same secret keys
 * the same HMACs), if it has at least `minLength` characters.
 */
export function checkSecretMaterial(value: unknown, secretId: string, minLength: number): string {
  if (typeof value !== 'string') {
    throw new SecretMaterialError(`The secret ${secretId} must hold a SecretString`);
  }
  const text = value.trim();
  if (text.length < minLength) {
    throw new SecretMaterialError(
      `The secret ${secretId} must hold at least ${minLength} character${minLength === 1 ? '' : 's'} of secret material`,
    );
  }
  return text;
}
