import { InvalidRequest, refreshSession } from '@authkit/core';
import { httpHandler } from '../_shared/handler.ts';
import { tokenDeps } from '../_shared/sessions.ts';
import { onlyFields, requiredString } from '../_shared/validate.ts';

/** POST /v1/auth/token: refresh-token rotation. A rotated token presented again revokes its session. */
export const handler = httpHandler(async ({ body }) => {
  onlyFields(body, ['grantType', 'refreshToken']);
  if (requiredString(body, 'grantType', 64) !== 'refresh_token') {
    throw new InvalidRequest('grantType', 'must be refresh_token');
  }
  return { status: 200, body: await refreshSession(tokenDeps, requiredString(body, 'refreshToken', 256)) };
});
