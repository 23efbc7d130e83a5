import { deriveKeyRing, requireSecret } from '@authkit/core';
import { config } from './config.ts';

/** Derived once per cold start from the seed in Secrets Manager: the signing key and what JWKS publishes. */
export const keyRing = await deriveKeyRing(
  requireSecret(config.tokens.signingKeySeed, 'SIGNING_KEY_SEED'),
  config.tokens.signingKeyGeneration,
);
