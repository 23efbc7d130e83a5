import { type AccountDeps, describeAccount } from '@authkit/core';
import { httpHandler } from '../_shared/handler.ts';
import { callerOf } from '../_shared/http.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type MeDeps = { observability: Observability; account: AccountDeps };

/** GET /v1/me: the signed-in user and their live sessions, the one asking marked current. */
export function meHandler(deps: MeDeps) {
  return httpHandler(deps.observability, async (request) => ({
    status: 200,
    body: await describeAccount(deps.account, callerOf(request)),
  }));
}

export const handler = deployed((root) => root.me(), meHandler);
