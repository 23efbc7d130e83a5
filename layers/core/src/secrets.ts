/**
 * One-time codes and opaque tokens: how they are made and how they are kept. Plaintext never
 * reaches storage; codes are HMAC'd with a pepper that lives outside the table, tokens are SHA-256'd
 * (they already carry 256 bits of entropy, so a pepper would add nothing).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Random } from './ports.ts';

/** A code of `length` digits drawn uniformly from the full range, leading zeros included. */
export function generateCode(random: Random, length: number): string {
  return String(random.int(10 ** length)).padStart(length, '0');
}

/** Binding the challenge id into the MAC stops a hash from one challenge verifying another. */
export function hashCode(pepper: string, challengeId: string, code: string): string {
  return createHmac('sha256', pepper).update(`${challengeId}:${code}`).digest('base64url');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** An opaque bearer secret of 256 bits, URL-safe. */
export function generateToken(random: Random): string {
  return random.bytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** A random identifier with a readable prefix, e.g. `ch_…` for challenges. */
export function generateId(random: Random, prefix: string): string {
  return `${prefix}_${random.bytes(16).toString('base64url')}`;
}
