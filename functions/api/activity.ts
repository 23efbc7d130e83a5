import { ACTIVITY_PAGE, InvalidRequest, readActivity, type TrailDeps } from '@authkit/core';
import { httpHandler } from '../_shared/handler.ts';
import { callerOf } from '../_shared/http.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type ActivityDeps = { observability: Observability } & TrailDeps;

/**
 * GET /v1/me/activity: the caller's own audit trail, newest first, a page at a time. The trail read
 * is always the one of the caller's identifier, as the authorizer names it; nothing in the query
 * can name another.
 */
export function activityHandler(deps: ActivityDeps) {
  return httpHandler(deps.observability, async (request) => {
    const caller = callerOf(request);
    const unknown = Object.keys(request.query).find((name) => name !== 'limit' && name !== 'cursor');
    if (unknown !== undefined) throw new InvalidRequest(unknown, 'is not a known query parameter');
    const page = await readActivity(deps, caller.identifierKey, {
      limit: limitOf(request.query.limit),
      cursor: cursorOf(request.query.cursor),
    });
    return { status: 200, body: page };
  });
}

function limitOf(value: string | undefined): number {
  if (value === undefined) return ACTIVITY_PAGE.defaultLimit;
  const limit = /^\d{1,3}$/.test(value) ? Number(value) : 0;
  if (limit < 1 || limit > ACTIVITY_PAGE.maxLimit) {
    throw new InvalidRequest('limit', `must be a whole number from 1 to ${ACTIVITY_PAGE.maxLimit}`);
  }
  return limit;
}

function cursorOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // A position is an ISO time and a UUID: its base64url is about 84 characters.
  if (value === '' || value.length > 128)
    throw new InvalidRequest('cursor', 'is not a cursor this API returned');
  return value;
}

export const handler = deployed((root) => root.activity(), activityHandler);
