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

/**
 * How long a function keeps each secret before reading it again (whole seconds: the cache counts in
 * seconds). Five minutes bounds a rotation while a busy function reads each secret about once per
 * 5 minutes. The signing-key seed is kept one minute, so a revoked key stops signing, and leaves the
 * JWKS AuthKit serves, within a minute; the rotation guard counts that minute (key-rotation.ts). It
 * costs each warm sandbox that signs or verifies one GetSecretValue a minute.
 */
export const MAX_SECRET_AGE_SECONDS: Readonly<Record<SecretName, number>> = {
  codePepper: 300,
  signingKeySeed: 60,
  captcha: 300,
  proxy: 300,
  auditKey: 300,
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

/**
 * What the signing-key secret holds: the seed every ES256 key is derived from, the generation that
 * signs, and (after a leaked key was revoked) the lowest generation still published.
 */
export type SigningSecret = { seed: string; generation: number; revokedBelow?: number };

/** The highest generation a secret may name: one rotation a day would take 2,700 years to reach it. */
export const MAX_SIGNING_KEY_GENERATION = 1_000_000;

const SIGNING_SECRET_FIELDS = new Set(['seed', 'generation', 'revokedBelow']);

/**
 * The signing-key secret, read. A plain string is a seed of generation 1: what the stack generates,
 * and what every stack held before keys rotated, so a stack upgraded with its secret untouched signs
 * with the keys it signed with before. The rotation function writes JSON
 * `{"seed", "generation", "revokedBelow"?}`. Errors name the secret and what is wrong, never a value
 * (not even a field name, which a mangled secret could have taken from its value).
 */
export function checkSigningSecret(value: unknown, secretId: string): SigningSecret {
  const minLength = MIN_SECRET_LENGTH.signingKeySeed;
  const text = checkSecretMaterial(value, secretId, minLength);
  if (!text.startsWith('{')) return { seed: text, generation: 1 };
  const wrong = (problem: string) =>
    new SecretMaterialError(
      `The secret ${secretId} must hold a seed, or JSON {"seed", "generation", "revokedBelow"?}: ${problem}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text around the fault: never passed on.
    throw wrong('it starts with "{" but is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw wrong('it is not an object');
  const fields = parsed as Record<string, unknown>;
  if (Object.keys(fields).some((key) => !SIGNING_SECRET_FIELDS.has(key))) {
    throw wrong('it has a field other than seed, generation and revokedBelow');
  }
  const { seed, generation, revokedBelow } = fields;
  if (typeof seed !== 'string' || seed.trim().length < minLength) {
    throw wrong(`seed must be a string of at least ${minLength} characters`);
  }
  if (!isWhole(generation, 1, MAX_SIGNING_KEY_GENERATION)) {
    throw wrong(`generation must be a whole number from 1 to ${MAX_SIGNING_KEY_GENERATION}`);
  }
  if (revokedBelow === undefined) return { seed: seed.trim(), generation };
  // Revoking the signing generation itself would leave nothing to sign with.
  if (!isWhole(revokedBelow, 2, generation)) {
    throw wrong('revokedBelow must be a whole number from 2 to generation');
  }
  return { seed: seed.trim(), generation, revokedBelow };
}

/** The secret's value as the rotation function writes it (checkSigningSecret reads it back). */
export function serializeSigningSecret(secret: SigningSecret): string {
  const { seed, generation, revokedBelow } = secret;
  return JSON.stringify(
    revokedBelow === undefined ? { seed, generation } : { seed, generation, revokedBelow },
  );
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
