/**
 * ES256 signing keys, derived from a secret seed held in Secrets Manager. Deriving (rather than
 * storing a PEM) lets CloudFormation generate the secret with no manual step, and every function
 * that holds the seed computes the same keys and `kid`s. Keys come in generations, and the secret
 * says which one signs (see SigningSecret): generation n signs, and JWKS publishes n - 1 (tokens it
 * signed are still live), n and n + 1 (the next key, published before it ever signs, so verifiers
 * that cache JWKS already hold it when the rotation function moves the secret to n + 1).
 */
import { createECDH, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { MAX_SECRET_AGE_SECONDS, type SigningSecret } from './secret-material.ts';

export type SigningKey = { kid: string; privateKey: KeyObject; publicJwk: JWK };

/** `published`: the signing key first, then the next one, then the previous one (when published). */
export type KeyRing = { generation: number; current: SigningKey; published: JWK[] };

/** The key ring as the secret stands now; see `keyRingSource`. */
export type KeyRingSource = () => Promise<KeyRing>;

/** How long a function keeps the signing-key secret: a revoked key is gone within it. */
export const SIGNING_SECRET_MAX_AGE_SECONDS = MAX_SECRET_AGE_SECONDS.signingKeySeed;

/** JWKS's Cache-Control max-age: how long a verifier may keep the key set it fetched. */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * The generations whose public keys JWKS publishes: the signing one, the next, and the previous
 * unless it was revoked (or there is none).
 */
export function publishedGenerations(secret: SigningSecret): number[] {
  const { generation, revokedBelow = 1 } = secret;
  const previous = generation - 1;
  return previous >= Math.max(1, revokedBelow)
    ? [generation, generation + 1, previous]
    : [generation, generation + 1];
}

/**
 * The key ring of whatever the secret source answers. Deriving costs milliseconds, so it is done
 * once per distinct secret value: the same value answers the same ring, and a rotated secret (a new
 * generation, a revoked key, a new seed) derives new keys on the next call.
 */
export function keyRingSource(secret: () => Promise<SigningSecret>): KeyRingSource {
  let derived: { value: string; ring: Promise<KeyRing> } | undefined;
  return async () => {
    const read = await secret();
    const value = `${read.generation}/${read.revokedBelow ?? ''}/${read.seed}`;
    if (derived?.value !== value) {
      derived = { value, ring: deriveKeyRing(read) };
    }
    return derived.ring;
  };
}

export async function deriveKeyRing(secret: SigningSecret): Promise<KeyRing> {
  const [current, ...others] = await Promise.all(
    publishedGenerations(secret).map((g) => deriveSigningKey(secret.seed, g)),
  );
  if (!current) throw new Error('no signing key derived');
  return {
    generation: secret.generation,
    current,
    published: [current, ...others].map((key) => key.publicJwk),
  };
}

export async function deriveSigningKey(seed: string, generation = 1): Promise<SigningKey> {
  const ecdh = createECDH('prime256v1');
  // A 32-byte HKDF output is a valid P-256 scalar except with probability ~2^-32; the counter
  // makes the derivation total without biasing it in practice.
  for (let counter = 0; ; counter++) {
    const d = Buffer.from(
      hkdfSync('sha256', seed, 'authkit', `es256-signing-key/${generation}/${counter}`, 32),
    );
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
