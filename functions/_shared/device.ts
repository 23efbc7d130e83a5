/** The `device` field of start, verify, token and POST /v1/devices, checked attribute by attribute. */
import { type DeviceDescription, InvalidRequest } from '@authkit/core';

const TEXT_ATTRIBUTES = { name: 64, userAgent: 512, platform: 64, language: 35, timezone: 64 } as const;
const NUMBER_ATTRIBUTES = {
  colorDepth: 64,
  hardwareConcurrency: 1024,
  deviceMemory: 1024,
  touchPoints: 256,
} as const;

/**
 * The device the body describes, with the request's User-Agent when the body names none, or
 * undefined when neither says anything. `extra` names fields a route accepts beyond the attributes
 * (POST /v1/devices' `publicKey`); they are left for the route to read.
 */
export function optionalDevice(
  body: Record<string, unknown>,
  userAgentHeader: string | undefined,
  extra: readonly string[] = [],
): DeviceDescription | undefined {
  const value = body.device;
  if (value === undefined || value === null) {
    return userAgentHeader ? { userAgent: userAgentHeader.slice(0, TEXT_ATTRIBUTES.userAgent) } : undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value))
    throw new InvalidRequest('device', 'must be an object');
  const fields = value as Record<string, unknown>;
  const device: Record<string, string | number> = {};
  for (const [key, attribute] of Object.entries(fields)) {
    const field = `device.${key}`;
    if (extra.includes(key)) continue;
    if (key in TEXT_ATTRIBUTES) {
      const max = TEXT_ATTRIBUTES[key as keyof typeof TEXT_ATTRIBUTES];
      if (typeof attribute !== 'string' || attribute.trim() === '')
        throw new InvalidRequest(field, 'must be a non-empty string');
      if (attribute.length > max) throw new InvalidRequest(field, `must be at most ${max} characters`);
      device[key] = attribute.trim();
    } else if (key === 'screen') {
      if (typeof attribute !== 'string' || !/^\d{1,5}x\d{1,5}$/.test(attribute)) {
        throw new InvalidRequest(field, 'must be <width>x<height>, e.g. 1512x982');
      }
      device[key] = attribute;
    } else if (key in NUMBER_ATTRIBUTES) {
      const max = NUMBER_ATTRIBUTES[key as keyof typeof NUMBER_ATTRIBUTES];
      if (typeof attribute !== 'number' || !Number.isFinite(attribute) || attribute < 0 || attribute > max) {
        throw new InvalidRequest(field, `must be a number from 0 to ${max}`);
      }
      device[key] = attribute;
    } else {
      throw new InvalidRequest(field, 'is not a known device attribute');
    }
  }
  if (device.userAgent === undefined && userAgentHeader)
    device.userAgent = userAgentHeader.slice(0, TEXT_ATTRIBUTES.userAgent);
  if (Object.keys(device).filter((key) => key !== 'name').length === 0) {
    throw new InvalidRequest(
      'device',
      'must describe the device with at least one attribute besides its name',
    );
  }
  return device as DeviceDescription;
}
