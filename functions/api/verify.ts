import { generateId, Lockout, startSession, systemClock, systemRandom, verifyCode } from '@authkit/core';
import { DynamoChallengeStore, DynamoDenylistStore, DynamoUserStore } from '@authkit/core/adapters/dynamodb';
import { config } from '../_shared/config.ts';
import { db } from '../_shared/dynamodb.ts';
import { httpHandler } from '../_shared/handler.ts';
import { metrics } from '../_shared/powertools.ts';
import { secretSource } from '../_shared/secrets.ts';
import { tokenDeps } from '../_shared/sessions.ts';
import { onlyFields, requiredString } from '../_shared/validate.ts';

const store = new DynamoChallengeStore(db, config.tables.challenges);
const users = new DynamoUserStore(db, config.tables.users);
const lockout = new Lockout(
  users,
  new DynamoDenylistStore(db, config.tables.denylist, systemClock),
  config.code.identifierFailureLimit,
);
const pepper = secretSource('codePepper');

/** POST /v1/auth/verify: one code, one answer; a new user is created on first success. */
export const handler = httpHandler(async ({ body }) => {
  onlyFields(body, ['challengeId', 'code']);
  const challengeId = requiredString(body, 'challengeId', 64);
  const code = requiredString(body, 'code', 16);
  const challenge = await verifyCode(
    { store, clock: systemClock, pepper, config, lockout },
    { challengeId, code },
  ).catch((error: unknown) => {
    metrics.addMetric('VerifyFailed', 'Count', 1);
    throw error;
  });
  const user = await users.recordLogin(
    challenge.identifierKey,
    generateId(systemRandom, 'usr'),
    systemClock.now(),
  );
  metrics.addMetric('VerifySucceeded', 'Count', 1);
  return { status: 200, body: await startSession(tokenDeps, user) };
});
