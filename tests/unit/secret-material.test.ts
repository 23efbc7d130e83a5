import { describe, expect, it } from '@jest/globals';
import {
  checkSecretMaterial,
  checkSigningSecret,
  MAX_SECRET_AGE_SECONDS,
  MIN_SECRET_LENGTH,
  SecretMaterialError,
  serializeSigningSecret,
} from '../../layers/core/src/secret-material.ts';
import { thrownBy } from '../support/thrown.ts';

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:CodePepperSecret-AbCdEf';
const PEPPER_MIN = MIN_SECRET_LENGTH.codePepper;

describe('MIN_SECRET_LENGTH', () => {
  it("asks 32 characters of the pepper, the seed, the proxy's secret and the audit key, and a non-empty captcha secret", () => {
    // Assess
    expect(MIN_SECRET_LENGTH).toEqual({
      codePepper: 32,
      signingKeySeed: 32,
      captcha: 1,
      proxy: 32,
      auditKey: 32,
    });
  });
});

describe('MAX_SECRET_AGE_SECONDS', () => {
  it('keeps the signing-key seed a minute, so a revoked key is gone within it, and every other secret five minutes', () => {
    // Assess
    expect(MAX_SECRET_AGE_SECONDS).toEqual({
      codePepper: 300,
      signingKeySeed: 60,
      captcha: 300,
      proxy: 300,
      auditKey: 300,
    });
  });
});

describe('checkSecretMaterial', () => {
  it.each(Object.entries(MIN_SECRET_LENGTH))(
    'takes a %s of its least length, and refuses one character fewer',
    (_, least) => {
      // Prepare
      const value = 'k'.repeat(least);

      // Act & Assess
      expect(checkSecretMaterial(value, SECRET_ID, least)).toBe(value);
      expect(() => checkSecretMaterial(value.slice(1), SECRET_ID, least)).toThrow(SecretMaterialError);
    },
  );

  it('refuses a pepper one character short, naming the secret but never showing the value', () => {
    // Prepare
    const value = 'short-pepper-'.padEnd(PEPPER_MIN - 1, 'x');

    // Act
    const error = thrownBy(() => checkSecretMaterial(value, SECRET_ID, PEPPER_MIN));

    // Assess
    expect(error).toBeInstanceOf(SecretMaterialError);
    expect(error.name).toBe('SecretMaterialError');
    expect(error.message).toBe(`The secret ${SECRET_ID} must hold at least 32 characters of secret material`);
    expect(error.message).not.toContain(value);
  });

  it('does not count surrounding whitespace, and drops it as the environment values did', () => {
    // Prepare
    const value = ` ${'k'.repeat(PEPPER_MIN)}\n`;

    // Act & Assess
    expect(checkSecretMaterial(value, SECRET_ID, PEPPER_MIN)).toBe(value.trim());
    expect(() => checkSecretMaterial(`${' '.repeat(40)}x`, SECRET_ID, PEPPER_MIN)).toThrow(
      SecretMaterialError,
    );
  });

  it.each([
    ['binary (SecretBinary)', new Uint8Array(64)],
    ['missing', undefined],
  ])('refuses a secret that is %s', (_, value) => {
    // Act
    const error = thrownBy(() => checkSecretMaterial(value, SECRET_ID, 1));

    // Assess
    expect(error).toBeInstanceOf(SecretMaterialError);
    expect(error.message).toBe(`The secret ${SECRET_ID} must hold a SecretString`);
  });

  it('refuses an empty captcha secret', () => {
    // Act & Assess
    expect(() => checkSecretMaterial('  ', 'authkit/turnstile', 1)).toThrow(
      'The secret authkit/turnstile must hold at least 1 character of secret material',
    );
  });
});

describe('checkSigningSecret', () => {
  const SEED_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:SigningKeySecret-AbCdEf';
  const SEED = 'signing-seed-'.padEnd(64, 'z');

  it('reads a plain seed (what the stack generates) as generation 1', () => {
    // Act & Assess
    expect(checkSigningSecret(` ${SEED}\n`, SEED_ID)).toEqual({ seed: SEED, generation: 1 });
  });

  it('reads the JSON the rotation function writes, and writes what it reads', () => {
    // Prepare
    const secrets = [
      { seed: SEED, generation: 7 },
      { seed: SEED, generation: 7, revokedBelow: 7 },
    ];

    // Act & Assess
    for (const secret of secrets) {
      expect(checkSigningSecret(serializeSigningSecret(secret), SEED_ID)).toEqual(secret);
    }
  });

  it.each([
    ['JSON that does not parse', `{"seed": "${SEED}", generation: 2}`, 'it starts with "{" but is not JSON'],
    ['an array in braces', `{${JSON.stringify([SEED, SEED])}`, 'it starts with "{" but is not JSON'],
    [
      'a short seed',
      JSON.stringify({ seed: 's'.repeat(31), generation: 2 }),
      'seed must be a string of at least 32 characters',
    ],
    [
      'no seed',
      JSON.stringify({ generation: 2, padding: SEED }),
      'it has a field other than seed, generation and revokedBelow',
    ],
    [
      'a field it does not know',
      JSON.stringify({ seed: SEED, generation: 2, [SEED]: 1 }),
      'it has a field other than seed, generation and revokedBelow',
    ],
    [
      'generation 0',
      JSON.stringify({ seed: SEED, generation: 0 }),
      'generation must be a whole number from 1 to 1000000',
    ],
    [
      'a fractional generation',
      JSON.stringify({ seed: SEED, generation: 2.5 }),
      'generation must be a whole number from 1 to 1000000',
    ],
    [
      'a generation as text',
      JSON.stringify({ seed: SEED, generation: '2' }),
      'generation must be a whole number from 1 to 1000000',
    ],
    [
      'a revoked signing generation',
      JSON.stringify({ seed: SEED, generation: 2, revokedBelow: 3 }),
      'revokedBelow must be a whole number from 2 to generation',
    ],
    [
      'revokedBelow 1',
      JSON.stringify({ seed: SEED, generation: 2, revokedBelow: 1 }),
      'revokedBelow must be a whole number from 2 to generation',
    ],
  ])('refuses %s, naming the secret and the fault but never showing the value', (_, value, problem) => {
    // Act
    const error = thrownBy(() => checkSigningSecret(value, SEED_ID));

    // Assess
    expect(error).toBeInstanceOf(SecretMaterialError);
    expect(error.message).toBe(
      `The secret ${SEED_ID} must hold a seed, or JSON {"seed", "generation", "revokedBelow"?}: ${problem}`,
    );
    expect(error.message).not.toContain(SEED.slice(0, 20));
    expect(error.message).not.toContain('s'.repeat(31));
  });

  it('refuses a plain seed too short to key anything, as any secret', () => {
    // Act & Assess
    expect(() => checkSigningSecret('s'.repeat(31), SEED_ID)).toThrow(
      `The secret ${SEED_ID} must hold at least 32 characters of secret material`,
    );
  });
});
