import { endSession } from '@authkit/core';
import { httpHandler } from '../_shared/handler.ts';
import { tokenDeps } from '../_shared/sessions.ts';
import { onlyFields, requiredString } from '../_shared/validate.ts';

/** POST /v1/auth/logout: ends the refresh token's session; unknown tokens answer the same 204. */
export const handler = httpHandler(async ({ body }) => {
  onlyFields(body, ['refreshToken']);
  await endSession(tokenDeps, requiredString(body, 'refreshToken', 256));
  return { status: 204 };
});
