/**
 * The ES256 signing key, derived from a secret seed held in Secrets Manager. Deriving (rather than
 * storing a PEM) lets CloudFormation generate the secret with no manual step, and every function
 * that holds the seed computes the same key and `kid`.
 */
import { createECDH, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

export type SigningKey = { kid: string; privateKey: KeyObject; publicJwk: JWK };

export async function deriveSigningKey(seed: string): Promise<SigningKey> {
  const ecdh = createECDH('prime256v1');
  // A 32-byte HKDF output is a valid P-256 scalar except with probability ~2^-32; the counter
  // makes the derivation total without biasing it in practice.
  for (let counter = 0; ; counter++) {
    const d = Buffer.from(hkdfSync('sha256', seed, 'authkit', `es256-signing-key/${counter}`, 32));
    try {
      ecdh.setPrivateKey(d);
      break;
    } catch {
      // out of range: try the next counter
    }
  }
  const point = ecdh.getPublicKey();
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  };
  const privateKey = createPrivateKey({
    key: { ...jwk, d: ecdh.getPrivateKey().toString('base64url') },
    format: 'jwk',
  });
  createPublicKey({ key: jwk, format: 'jwk' }); // proves the point is on the curve
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' } };
}
