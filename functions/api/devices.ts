import {
  bindDevice,
  type DeviceRouteDeps,
  InvalidRequest,
  listDevices,
  NotFound,
  parseDevicePublicKey,
  revokeDevice,
} from '@authkit/core';
import { optionalDevice } from '../_shared/device.ts';
import { httpHandler } from '../_shared/handler.ts';
import { callerOf } from '../_shared/http.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';
import { onlyFields } from '../_shared/validate.ts';

export type DevicesDeps = { observability: Observability; devices: DeviceRouteDeps };

/** `dev_` and 16 bytes in base64url: anything else names no device, and is not looked up. */
const DEVICE_ID = /^dev_[A-Za-z0-9_-]{22}$/;

/**
 * GET /v1/devices (the caller's devices), POST /v1/devices (name and bind the device the caller's
 * session signed in on, with an optional public key) and DELETE /v1/devices/{id} (revoke it and end
 * its sessions). The authorizer names the caller.
 */
export function devicesHandler(deps: DevicesDeps) {
  const { metrics } = deps.observability;
  return httpHandler(deps.observability, async (request) => {
    const caller = callerOf(request);
    const source = { ip: request.sourceIp };
    if (request.method === 'GET') {
      return { status: 200, body: { devices: await listDevices(deps.devices, caller) } };
    }
    if (request.method === 'POST') {
      const { body } = request;
      onlyFields(body, ['device']);
      if (body.device === undefined || body.device === null)
        throw new InvalidRequest('device', 'is required');
      const device = optionalDevice(body, request.headers['user-agent'], ['publicKey']);
      if (!device?.name) throw new InvalidRequest('device.name', 'is required');
      const publicKey = (body.device as Record<string, unknown>).publicKey;
      const bound = await bindDevice(deps.devices, caller, {
        device: { ...device, name: device.name },
        ...(publicKey === undefined ? {} : { publicKey: await parseDevicePublicKey(publicKey) }),
        source,
        requestId: request.requestId,
      });
      metrics.addMetric('DeviceBound', 'Count', 1);
      return { status: 201, body: bound };
    }
    const deviceId = request.pathParameters.id ?? '';
    if (!DEVICE_ID.test(deviceId)) throw new NotFound();
    await revokeDevice(deps.devices, caller, { deviceId, source, requestId: request.requestId });
    metrics.addMetric('DeviceRevoked', 'Count', 1);
    return { status: 204 };
  });
}

export const handler = deployed((root) => root.devices(), devicesHandler);
