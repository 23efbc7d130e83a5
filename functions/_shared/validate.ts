/** Small, explicit checks for request bodies; each failure names the field. */
import { InvalidRequest } from '@authkit/core';

export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw new InvalidRequest(unknown, 'is not a known field');
}

export function requiredString(body: Record<string, unknown>, field: string, maxLength = 512): string {
  const value = body[field];
  if (value === undefined || value === null || value === '') throw new InvalidRequest(field, 'is required');
  if (typeof value !== 'string') throw new InvalidRequest(field, 'must be a string');
  if (value.length > maxLength) throw new InvalidRequest(field, `must be at most ${maxLength} characters`);
  return value;
}

export function optionalString(
  body: Record<string, unknown>,
  field: string,
  maxLength = 512,
): string | undefined {
  return body[field] === undefined || body[field] === null
    ? undefined
    : requiredString(body, field, maxLength);
}

export function optionalEnum<T extends string>(
  body: Record<string, unknown>,
  field: string,
  allowed: readonly T[],
): T | undefined {
  const value = optionalString(body, field, 64);
  if (value !== undefined && !allowed.includes(value as T)) {
    throw new InvalidRequest(field, `must be one of ${allowed.join(', ')}`);
  }
  return value as T | undefined;
}

const BCP47 = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export function optionalLocale(body: Record<string, unknown>): string | undefined {
  const locale = optionalString(body, 'locale', 35);
  if (locale !== undefined && !BCP47.test(locale))
    throw new InvalidRequest('locale', 'must be a BCP 47 tag such as en-GB');
  return locale;
}

export function optionalObject(
  body: Record<string, unknown>,
  field: string,
): Record<string, unknown> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidRequest(field, 'must be an object');
  return value as Record<string, unknown>;
}
