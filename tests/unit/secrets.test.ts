import { describe, expect, it } from '@jest/globals';
import { generateId, generateToken, hashCode, hashToken, sameHash } from '../../layers/core/src/secrets.ts';
import { systemRandom } from '../../layers/core/src/system.ts';

const PEPPER = 'unit-test-pepper-'.padEnd(48, 'p');
const OTHER_PEPPER = 'unit-test-pepper-'.padEnd(48, 'q');
const CHALLENGE_ID = 'ch_4Jx0d3m0Challenge00Id';
const CODE = '042137';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

describe('hashCode', () => {
  it('keeps the stored form of a code: HMAC-SHA256 of "challengeId:code" keyed by the pepper, base64url', () => {
    // A deploy that changed this would leave every pending code unverifiable. The expected value
    // is a known answer (computed once), not the same computation repeated here.
    // Act
    const hash = hashCode(PEPPER, CHALLENGE_ID, CODE);

    // Assess
    expect(hash).toBe('BbeHL6m_aexQr6sI1iDK0kMA_fIcetWV6hc-rLq-PQg');
  });

  it('is deterministic', () => {
    // Act & Assess
    expect(hashCode(PEPPER, CHALLENGE_ID, CODE)).toBe(hashCode(PEPPER, CHALLENGE_ID, CODE));
  });

  it('differs across peppers', () => {
    // Act & Assess
    expect(hashCode(PEPPER, CHALLENGE_ID, CODE)).not.toBe(hashCode(OTHER_PEPPER, CHALLENGE_ID, CODE));
  });

  it('differs across challenge ids, so a hash from one challenge cannot verify another', () => {
    // Act & Assess
    expect(hashCode(PEPPER, CHALLENGE_ID, CODE)).not.toBe(hashCode(PEPPER, 'ch_another', CODE));
  });

  it('differs across codes', () => {
    // Act & Assess
    expect(hashCode(PEPPER, CHALLENGE_ID, CODE)).not.toBe(hashCode(PEPPER, CHALLENGE_ID, '042138'));
  });

  it('never contains the code, the pepper or the challenge id', () => {
    // Act
    const hash = hashCode(PEPPER, CHALLENGE_ID, CODE);

    // Assess
    expect(hash).not.toContain(CODE);
    expect(hash).not.toContain(PEPPER);
    expect(hash).not.toContain(CHALLENGE_ID);
  });
});

describe('sameHash', () => {
  const hash = hashCode(PEPPER, CHALLENGE_ID, CODE);

  it('is true for equal hashes', () => {
    // Act & Assess
    expect(sameHash(hash, hashCode(PEPPER, CHALLENGE_ID, CODE))).toBe(true);
  });

  it('is false for different hashes of the same length', () => {
    // Act & Assess
    expect(sameHash(hash, hashCode(PEPPER, CHALLENGE_ID, '000000'))).toBe(false);
  });

  it.each([
    ['shorter', hash.slice(0, -1)],
    ['longer', `${hash}A`],
    ['empty', ''],
  ])('is false, without throwing, for a %s value', (_, other) => {
    // Act & Assess
    expect(sameHash(hash, other)).toBe(false);
    expect(sameHash(other, hash)).toBe(false);
  });
});

describe('generateToken', () => {
  it('carries at least 256 bits: 43 base64url characters', () => {
    // Act
    const token = generateToken(systemRandom);

    // Assess
    expect(token).toMatch(BASE64URL);
    expect(token).toHaveLength(43);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('is unique across many draws', () => {
    // Act
    const tokens = Array.from({ length: 10_000 }, () => generateToken(systemRandom));

    // Assess
    expect(new Set(tokens).size).toBe(tokens.length);
  });
});

describe('hashToken', () => {
  it('keeps the stored form of a refresh token: SHA-256, base64url', () => {
    // A deploy that changed this would end every session. FIPS 180-2's known answer for "abc".
    // Act
    const hash = hashToken('abc');

    // Assess
    expect(hash).toBe(
      Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString(
        'base64url',
      ),
    );
  });
});

describe('generateId', () => {
  it('starts with the prefix and an underscore, followed by 128 random bits', () => {
    // Act
    const id = generateId(systemRandom, 'ch');

    // Assess
    expect(id).toMatch(/^ch_[A-Za-z0-9_-]{22}$/);
  });

  it('is unique across many draws', () => {
    // Act
    const ids = Array.from({ length: 10_000 }, () => generateId(systemRandom, 'ses'));

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith('ses_'))).toBe(true);
  });
});
