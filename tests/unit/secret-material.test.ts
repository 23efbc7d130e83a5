import { describe, expect, it } from '@jest/globals';
import {
  checkSecretMaterial,
  MIN_SECRET_LENGTH,
  SecretMaterialError,
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
