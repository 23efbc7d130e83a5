import { keyRingSource } from '@authkit/core';
import { config } from './config.ts';
import { secretSource } from './secrets.ts';

/**
 * The signing key and what JWKS publishes, derived from the seed in Secrets Manager: read per
 * invocation (cached), derived again only when the seed's value changes.
 */
export const keyRing = keyRingSource(secretSource('signingKeySeed'), config.tokens.signingKeyGeneration);
