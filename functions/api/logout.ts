import { endSession, systemClock } from '@authkit/core';
import { DynamoSessionStore } from '@authkit/core/adapters/dynamodb';
import { tables } from '../_shared/config.ts';
import { db } from '../_shared/dynamodb.ts';
import { httpHandler } from '../_shared/handler.ts';
import { onlyFields, requiredString } from '../_shared/validate.ts';

const sessions = new DynamoSessionStore(db, tables.sessions);

/** POST /v1/auth/logout: ends the refresh token's session; unknown tokens answer the same 204. */
export const handler = httpHandler(async ({ body }) => {
  onlyFields(body, ['refreshToken']);
  await endSession({ sessions, clock: systemClock }, requiredString(body, 'refreshToken', 256));
  return { status: 204 };
});
