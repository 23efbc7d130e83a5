import { JWKS_MAX_AGE_SECONDS, type KeyRingSource } from '@authkit/core';
import { httpHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type JwksDeps = { observability: Observability; keyRing: KeyRingSource };

/**
 * GET /.well-known/jwks.json: the keys that verify AuthKit's tokens — the signing key, the next one
 * (published before it signs) and, after a rotation, the previous one. The max-age is part of the
 * rotation guard's arithmetic (key-rotation.ts): a verifier's copy is never older than that.
 */
export function jwksHandler(deps: JwksDeps) {
  return httpHandler(deps.observability, async () => ({
    status: 200,
    body: { keys: (await deps.keyRing()).published },
    headers: { 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
  }));
}

export const handler = deployed((root) => root.jwks(), jwksHandler);
