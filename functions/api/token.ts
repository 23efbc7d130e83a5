import { type AccountAuditDeps, InvalidRequest, refreshSession, type TokenDeps } from '@authkit/core';
import { httpHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';
import { onlyFields, requiredString } from '../_shared/validate.ts';

export type TokenHandlerDeps = {
  observability: Observability;
  tokens: TokenDeps & { audit: AccountAuditDeps };
};

/** POST /v1/auth/token: refresh-token rotation. A rotated token presented again revokes its session. */
export function tokenHandler(deps: TokenHandlerDeps) {
  return httpHandler(deps.observability, async ({ body, sourceIp, requestId }) => {
    onlyFields(body, ['grantType', 'refreshToken']);
    if (requiredString(body, 'grantType', 64) !== 'refresh_token') {
      throw new InvalidRequest('grantType', 'must be refresh_token');
    }
    return {
      status: 200,
      body: await refreshSession(deps.tokens, requiredString(body, 'refreshToken', 256), {
        source: { ip: sourceIp },
        requestId,
      }),
    };
  });
}

export const handler = deployed((root) => root.token(), tokenHandler);
