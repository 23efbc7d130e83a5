import { type AccessTokenDeps, verifyAccessToken } from '@authkit/core';
import { tokenAuthorizerHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type AuthorizerDeps = { observability: Observability; access: AccessTokenDeps };

/**
 * AuthKit's REST API authorizer (TOKEN, the Authorization header): lets a request through to a
 * protected route only with a valid access token of a session still open, and hands the route its
 * caller (`userId`, `sessionId`, `deviceId`, `identifierKey`) as `requestContext.authorizer`.
 */
export function authorizerHandler(deps: AuthorizerDeps) {
  return tokenAuthorizerHandler(deps.observability, (token) => verifyAccessToken(deps.access, token));
}

export const handler = deployed((root) => root.authorizer(), authorizerHandler);
