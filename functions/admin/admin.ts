import { type AdminDeps, runAdminCommand } from '@authkit/core';
import { commandHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type AdminFunctionDeps = AdminDeps & { observability: Observability };

/**
 * AdminFunction: the operator's commands (see AdminCommand), invoked with the Lambda Invoke API by
 * `npm run admin`. It has no API route: calling it takes lambda:InvokeFunction on it, an IAM grant.
 */
export function adminHandler(deps: AdminFunctionDeps) {
  return commandHandler(deps.observability, (event, context) =>
    runAdminCommand(deps, event, context.awsRequestId),
  );
}

export const handler = deployed((root) => root.admin(), adminHandler);
