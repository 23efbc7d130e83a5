import { systemClock, systemRandom, type TokenDeps } from '@authkit/core';
import { DynamoSessionStore } from '@authkit/core/adapters/dynamodb';
import { config, tables } from './config.ts';
import { db } from './dynamodb.ts';
import { keyRing } from './signing.ts';

/** Token issuing and rotation: verify, token and logout. */
export const tokenDeps: TokenDeps = {
  sessions: new DynamoSessionStore(db, tables.sessions),
  clock: systemClock,
  random: systemRandom,
  signingKey: async () => (await keyRing()).current,
  config: config.tokens,
};
