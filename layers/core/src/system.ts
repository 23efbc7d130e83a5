import { randomBytes, randomInt } from 'node:crypto';
import type { Clock, Random } from './ports.ts';

export const systemClock: Clock = { now: () => Date.now() };

export const systemRandom: Random = {
  int: (maxExclusive) => randomInt(maxExclusive),
  bytes: (length) => randomBytes(length),
};
