import { describe, expect, it } from '@jest/globals';
import type { Random } from '../../layers/core/src/ports.ts';
import { generateCode } from '../../layers/core/src/secrets.ts';
import { systemRandom } from '../../layers/core/src/system.ts';

/** A Random that answers `int` from a script and records what it was asked for. */
function scriptedRandom(values: number[]): Random & { asked: number[] } {
  const queue = [...values];
  const asked: number[] = [];
  return {
    asked,
    int(maxExclusive) {
      asked.push(maxExclusive);
      const next = queue.shift();
      if (next === undefined) throw new Error('scripted random ran out of values');
      return next;
    },
    bytes() {
      throw new Error('generateCode must not draw bytes');
    },
  };
}

// Upper 10⁻⁶ points of the chi-square distribution (scipy.stats.chi2.isf(1e-6, dof)): seven such
// checks on a real random source must not fail CI by chance, and a bias worth worrying about (one
// digit at 11 % instead of 10 % adds ~100 to the statistic) is still far above them.
const CHI_SQUARE_CRITICAL = { 9: 44.811, 99: 180.792 } as const;

function tally(keys: Iterable<number>, buckets: number): number[] {
  const counts = new Array<number>(buckets).fill(0);
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

function chiSquare(observed: readonly number[], expected: number): number {
  return observed.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

const SAMPLE_SIZE = 100_000;
const CODE_LENGTH = 6;
const SPACE = 10 ** CODE_LENGTH;

// One sample of real codes shared by the distribution specs (~100 ms to draw).
const sample: string[] = Array.from({ length: SAMPLE_SIZE }, () => generateCode(systemRandom, CODE_LENGTH));

describe('generateCode', () => {
  describe('shape', () => {
    it.each([6, 7, 8])('always yields exactly %i decimal digits', (length) => {
      // Act
      const codes = Array.from({ length: 2_000 }, () => generateCode(systemRandom, length));

      // Assess
      const pattern = new RegExp(`^\\d{${length}}$`);
      expect(codes.filter((code) => !pattern.test(code))).toEqual([]);
    });

    it.each([
      [6, 0, '000000'],
      [6, 7, '000007'],
      [6, 42_137, '042137'],
      [7, 1, '0000001'],
      [8, 99, '00000099'],
    ])('keeps leading zeros (length %i, draw %i → %s)', (length, draw, expected) => {
      // Prepare
      const random = scriptedRandom([draw]);

      // Act
      const code = generateCode(random, length);

      // Assess
      expect(code).toBe(expected);
    });
  });

  describe('derivation', () => {
    it.each([6, 7, 8])('is exactly random.int(10 ** %i) zero-padded, drawn once', (length) => {
      // Prepare
      const top = 10 ** length - 1;
      const random = scriptedRandom([0, 123_456, top]);

      // Act
      const codes = [
        generateCode(random, length),
        generateCode(random, length),
        generateCode(random, length),
      ];

      // Assess
      expect(random.asked).toEqual([10 ** length, 10 ** length, 10 ** length]);
      expect(codes).toEqual(['0'.repeat(length), String(123_456).padStart(length, '0'), '9'.repeat(length)]);
    });
  });

  describe(`distribution over ${SAMPLE_SIZE.toLocaleString('en')} codes from systemRandom`, () => {
    it.each(Array.from({ length: CODE_LENGTH }, (_, position) => position))(
      'digit position %i is uniform (chi-square, 9 dof, p = 10⁻⁶)',
      (position) => {
        // Act
        const buckets = tally(
          sample.map((code) => Number(code[position])),
          10,
        );

        // Assess
        expect(chiSquare(buckets, SAMPLE_SIZE / 10)).toBeLessThan(CHI_SQUARE_CRITICAL[9]);
      },
    );

    it('the first two digits together are uniform (chi-square, 99 dof, p = 10⁻⁶)', () => {
      // Act
      const buckets = tally(
        sample.map((code) => Number(code.slice(0, 2))),
        100,
      );

      // Assess
      expect(chiSquare(buckets, SAMPLE_SIZE / 100)).toBeLessThan(CHI_SQUARE_CRITICAL[99]);
    });

    it('reaches both ends of the range', () => {
      // Act (each end holds 100 of the 10^6 codes: ~10 expected, P(none) ≈ e^-10)
      const low = sample.filter((code) => Number(code) < 100);
      const high = sample.filter((code) => Number(code) > 999_899);

      // Assess
      expect(low.length).toBeGreaterThan(0);
      expect(high.length).toBeGreaterThan(0);
    });

    it('repeats codes about as often as the birthday bound predicts', () => {
      // Prepare: expected repeats = n − N·(1 − e^(−n/N)) ≈ 4,837, standard deviation ≈ 65.
      const expected = SAMPLE_SIZE - SPACE * (1 - Math.exp(-SAMPLE_SIZE / SPACE));

      // Act
      const repeats = SAMPLE_SIZE - new Set(sample).size;

      // Assess: far above means a narrowed range; far below means codes are not independent.
      expect(repeats).toBeLessThan(expected * 1.1);
      expect(repeats).toBeGreaterThan(expected * 0.9);
    });
  });
});
