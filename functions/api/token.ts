import { InvalidRequest, type RefreshDeps, refreshOnDevice } from '@authkit/core';
import { optionalDevice } from '../_shared/device.ts';
import { httpHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';
import { onlyFields, requiredString } from '../_shared/validate.ts';

export type TokenHandlerDeps = { observability: Observability; refresh: RefreshDeps };

/**
 * POST /v1/auth/token: refresh-token rotation. A rotated token presented again revokes its session;
 * a session bound to a device rotates only from that device (the `device` field, else User-Agent).
 */
export function tokenHandler(deps: TokenHandlerDeps) {
  return httpHandler(deps.observability, async ({ body, headers, sourceIp, requestId }) => {
    onlyFields(body, ['grantType', 'refreshToken', 'device']);
    if (requiredString(body, 'grantType', 64) !== 'refresh_token') {
      throw new InvalidRequest('grantType', 'must be refresh_token');
    }
    const refreshToken = requiredString(body, 'refreshToken', 256);
    const device = optionalDevice(body, headers['user-agent']);
    return {
      status: 200,
      body: await refreshOnDevice(deps.refresh, {
        refreshToken,
        device,
        source: { ip: sourceIp },
        requestId,
      }),
    };
  });
}

export const handler = deployed((root) => root.token(), tokenHandler);
