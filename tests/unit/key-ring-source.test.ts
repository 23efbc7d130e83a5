import { describe, expect, it } from '@jest/globals';
import { keyRingSource } from '../../layers/core/src/signing-key.ts';

const SEED = 'unit-test-signing-seed-'.padEnd(48, 's');
const ROTATED_SEED = 'unit-test-signing-seed-'.padEnd(48, 'r');

/** A seed source that answers whatever `value` holds now and counts its reads. */
function seedSource(initial: string) {
  const source = Object.assign(
    async () => {
      source.reads++;
      return source.value;
    },
    { value: initial, reads: 0 },
  );
  return source;
}

describe('keyRingSource', () => {
  it('derives once for a seed it has seen, reading the seed on every call', async () => {
    // Prepare
    const seed = seedSource(SEED);
    const keyRing = keyRingSource(seed, 1);

    // Act
    const first = await keyRing();
    const second = await keyRing();

    // Assess
    expect(second).toBe(first);
    expect(seed.reads).toBe(2);
  });

  it('derives once when the first calls arrive together', async () => {
    // Prepare
    const keyRing = keyRingSource(seedSource(SEED), 1);

    // Act
    const rings = await Promise.all([keyRing(), keyRing(), keyRing()]);

    // Assess
    expect(new Set(rings).size).toBe(1);
  });

  it('after a generation bump, signs with the key it published as next and still publishes the old one', async () => {
    // Prepare
    const before = await keyRingSource(seedSource(SEED), 2)();

    // Act
    const after = await keyRingSource(seedSource(SEED), 3)();

    // Assess
    const kids = (ring: typeof after) => ring.published.map((jwk) => jwk.kid);
    expect(after.current.kid).not.toBe(before.current.kid);
    expect(kids(before)).toContain(after.current.kid);
    expect(kids(after)).toContain(before.current.kid);
  });

  it('derives new keys once the seed has a new value (a rotated secret)', async () => {
    // Prepare
    const seed = seedSource(SEED);
    const keyRing = keyRingSource(seed, 1);
    const before = await keyRing();

    // Act
    seed.value = ROTATED_SEED;
    const after = await keyRing();

    // Assess
    expect(after.current.kid).not.toBe(before.current.kid);
    expect(after.published.map((jwk) => jwk.kid)).not.toContain(before.current.kid);
  });

  it('fails when the seed cannot be read, and reads it again on the next call', async () => {
    // Prepare
    let unavailable = true;
    const keyRing = keyRingSource(async () => {
      if (unavailable) throw new Error('Secrets Manager unreachable');
      return SEED;
    }, 1);

    // Act
    const failed = keyRing();
    await expect(failed).rejects.toThrow('Secrets Manager unreachable');
    unavailable = false;

    // Assess
    await expect(keyRing()).resolves.toMatchObject({ current: { kid: expect.any(String) } });
  });
});
