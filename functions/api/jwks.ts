import { httpHandler } from '../_shared/handler.ts';
import { signingKey } from '../_shared/signing.ts';

/** GET /.well-known/jwks.json: the public key(s) that verify AuthKit's tokens. */
export const handler = httpHandler(async () => ({
  status: 200,
  body: { keys: [signingKey.publicJwk] },
  headers: { 'cache-control': 'public, max-age=300' },
}));
