import { type AccountAuditDeps, type AccountDeps, endOwnSession, InvalidRequest } from '@authkit/core';
import { httpHandler } from '../_shared/handler.ts';
import { callerOf } from '../_shared/http.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type SessionsDeps = {
  observability: Observability;
  account: AccountDeps & { audit: AccountAuditDeps };
};

/** DELETE /v1/sessions/{id}: ends one of the caller's sessions; ending the current one logs out. */
export function sessionsHandler(deps: SessionsDeps) {
  return httpHandler(deps.observability, async (request) => {
    const caller = callerOf(request);
    const sessionId = request.pathParameters.id ?? '';
    if (!/^ses_[A-Za-z0-9_-]{22}$/.test(sessionId)) throw new InvalidRequest('id', 'is not a session id');
    await endOwnSession(deps.account, caller, {
      sessionId,
      source: { ip: request.sourceIp },
      requestId: request.requestId,
    });
    return { status: 204 };
  });
}

export const handler = deployed((root) => root.sessions(), sessionsHandler);
