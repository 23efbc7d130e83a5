import { deriveSigningKey, requireSecret } from '@authkit/core';
import { config } from './config.ts';

/** Derived once per cold start from the seed in Secrets Manager. */
export const signingKey = await deriveSigningKey(
  requireSecret(config.tokens.signingKeySeed, 'SIGNING_KEY_SEED'),
);
