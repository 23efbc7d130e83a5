import { describe, expect, it } from '@jest/globals';
import type { SigningSecret } from '../../layers/core/src/secret-material.ts';
import { keyRingSource } from '../../layers/core/src/signing-key.ts';

const SEED = 'unit-test-signing-seed-'.padEnd(48, 's');
const ROTATED_SEED = 'unit-test-signing-seed-'.padEnd(48, 'r');

/** A secret source that answers whatever `value` holds now and counts its reads. */
function secretSource(initial: SigningSecret) {
  const source = Object.assign(
    async () => {
      source.reads++;
      return source.value;
    },
    { value: initial, reads: 0 },
  );
  return source;
}

const kids = (ring: { published: { kid?: string }[] }) => ring.published.map((jwk) => jwk.kid);

describe('keyRingSource', () => {
  it('derives once for a secret value it has seen, reading the secret on every call', async () => {
    // Prepare
    const secret = secretSource({ seed: SEED, generation: 1 });
    const keyRing = keyRingSource(secret);

    // Act
    const first = await keyRing();
    secret.value = { seed: SEED, generation: 1 };
    const second = await keyRing();

    // Assess
    expect(second).toBe(first);
    expect(secret.reads).toBe(2);
  });

  it('derives once when the first calls arrive together', async () => {
    // Prepare
    const keyRing = keyRingSource(secretSource({ seed: SEED, generation: 1 }));

    // Act
    const rings = await Promise.all([keyRing(), keyRing(), keyRing()]);

    // Assess
    expect(new Set(rings).size).toBe(1);
  });

  it('after the secret moves to the next generation, signs with the key it published as next and still publishes the old one', async () => {
    // Prepare
    const secret = secretSource({ seed: SEED, generation: 2 });
    const keyRing = keyRingSource(secret);
    const before = await keyRing();

    // Act
    secret.value = { seed: SEED, generation: 3 };
    const after = await keyRing();

    // Assess
    expect(after.generation).toBe(3);
    expect(after.current.kid).toBe(before.published[1]?.kid);
    expect(kids(after)).toContain(before.current.kid);
  });

  it('stops publishing a revoked generation as soon as the secret says so', async () => {
    // Prepare
    const secret = secretSource({ seed: SEED, generation: 3 });
    const keyRing = keyRingSource(secret);
    const before = await keyRing();

    // Act
    secret.value = { seed: SEED, generation: 3, revokedBelow: 3 };
    const after = await keyRing();

    // Assess
    expect(after.current.kid).toBe(before.current.kid);
    expect(kids(before)).toHaveLength(3);
    expect(kids(after)).toEqual(kids(before).slice(0, 2));
  });

  it('derives new keys once the seed has a new value', async () => {
    // Prepare
    const secret = secretSource({ seed: SEED, generation: 1 });
    const keyRing = keyRingSource(secret);
    const before = await keyRing();

    // Act
    secret.value = { seed: ROTATED_SEED, generation: 1 };
    const after = await keyRing();

    // Assess
    expect(after.current.kid).not.toBe(before.current.kid);
    expect(kids(after)).not.toContain(before.current.kid);
  });

  it('fails when the secret cannot be read, and reads it again on the next call', async () => {
    // Prepare
    let unavailable = true;
    const keyRing = keyRingSource(async () => {
      if (unavailable) throw new Error('Secrets Manager unreachable');
      return { seed: SEED, generation: 1 };
    });

    // Act
    const failed = keyRing();
    await expect(failed).rejects.toThrow('Secrets Manager unreachable');
    unavailable = false;

    // Assess
    await expect(keyRing()).resolves.toMatchObject({ current: { kid: expect.any(String) } });
  });
});
