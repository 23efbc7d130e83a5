import { httpHandler } from '../_shared/handler.ts';
import { keyRing } from '../_shared/signing.ts';

/**
 * GET /.well-known/jwks.json: the keys that verify AuthKit's tokens — the signing key, the next one
 * (published before it signs) and, after a rotation, the previous one.
 */
export const handler = httpHandler(async () => ({
  status: 200,
  body: { keys: (await keyRing()).published },
  headers: { 'cache-control': 'public, max-age=300' },
}));
