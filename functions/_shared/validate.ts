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

/**
 * Fields the contract names for features this deployment does not have yet: refused, naming the
 * field, rather than accepted and silently dropped.
 */
export function refuseNotYetSupported(body: Record<string, unknown>, fields: Record<string, string>): void {
  const field = Object.keys(fields).find((name) => body[name] !== undefined);
  if (field !== undefined) throw new InvalidRequest(field, fields[field] as string);
}

/** Named by the HTTP contract for features that are not built yet. */
export const NOT_YET_SUPPORTED = {
  locale: 'is not supported yet: messages are in English only',
};
