/**
 * ES256 signing keys, derived from a secret seed held in Secrets Manager. Deriving (rather than
 * storing a PEM) lets CloudFormation generate the secret with no manual step, and every function
 * that holds the seed computes the same keys and `kid`s. Keys come in generations: generation n
 * signs, and JWKS publishes n - 1 (tokens it signed are still live), n and n + 1 (the next key,
 * published before it ever signs, so verifiers that cache JWKS already hold it when n is bumped).
 */
import { createECDH, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SecretSource } from './ports.ts';

export type SigningKey = { kid: string; privateKey: KeyObject; publicJwk: JWK };

export type KeyRing = { current: SigningKey; published: JWK[] };

/** The key ring as the seed stands now; see `keyRingSource`. */
export type KeyRingSource = () => Promise<KeyRing>;

/**
 * The key ring of `generation`, derived from whatever the seed source answers. Deriving costs
 * milliseconds, so it is done once per distinct seed value: the same seed answers the same ring,
 * and a rotated seed (a new value) derives new keys on the next call.
 */
export function keyRingSource(seed: SecretSource, generation: number): KeyRingSource {
  let derived: { seed: string; ring: Promise<KeyRing> } | undefined;
  return async () => {
    const value = await seed();
    if (derived?.seed !== value) {
      derived = { seed: value, ring: deriveKeyRing(value, generation) };
    }
    return derived.ring;
  };
}

export async function deriveKeyRing(seed: string, generation: number): Promise<KeyRing> {
  const generations =
    generation > 1 ? [generation, generation + 1, generation - 1] : [generation, generation + 1];
  const [current, ...others] = await Promise.all(generations.map((g) => deriveSigningKey(seed, g)));
  if (!current) throw new Error('no signing key derived');
  return { current, published: [current, ...others].map((key) => key.publicJwk) };
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
