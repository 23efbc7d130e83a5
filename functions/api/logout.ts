import { type AccountAuditDeps, type Clock, endSession, type SessionStore } from '@authkit/core';
import { httpHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';
import { onlyFields, requiredString } from '../_shared/validate.ts';

export type LogoutDeps = {
  observability: Observability;
  sessions: SessionStore;
  clock: Clock;
  audit: AccountAuditDeps;
};

/** POST /v1/auth/logout: ends the refresh token's session; unknown tokens answer the same 204. */
export function logoutHandler(deps: LogoutDeps) {
  return httpHandler(deps.observability, async ({ body, sourceIp, requestId }) => {
    onlyFields(body, ['refreshToken']);
    await endSession(deps, requiredString(body, 'refreshToken', 256), {
      source: { ip: sourceIp },
      requestId,
    });
    return { status: 204 };
  });
}

export const handler = deployed((root) => root.logout(), logoutHandler);
