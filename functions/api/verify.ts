import { generateId, startSession, systemClock, systemRandom, verifyCode } from '@authkit/core';
import { DynamoDenylistStore, DynamoLockStore, DynamoUserStore } from '@authkit/core/adapters/dynamodb';
import { config, tables } from '../_shared/config.ts';
import { challengeDeps, lockoutNotifier } from '../_shared/delivery.ts';
import { db } from '../_shared/dynamodb.ts';
import { httpHandler } from '../_shared/handler.ts';
import { logger, metrics } from '../_shared/powertools.ts';
import { tokenDeps } from '../_shared/sessions.ts';
import { onlyFields, requiredString } from '../_shared/validate.ts';

const users = new DynamoUserStore(db, tables.users);
const verifyDeps = {
  store: challengeDeps.store,
  clock: systemClock,
  pepper: challengeDeps.pepper,
  config,
  locks: new DynamoLockStore(db, tables.counters),
  denylist: new DynamoDenylistStore(db, tables.denylist, systemClock),
  notify: lockoutNotifier,
  warn: (what: string, error: unknown) => {
    logger.warn(`${what} failed after the answer was decided`, { error: (error as Error).name });
    metrics.addMetric('VerifyBookkeepingFailed', 'Count', 1);
  },
};

/**
 * POST /v1/auth/verify: one code, one answer; a new user is created on first success. Wrong codes
 * count towards the lockout of this source network and of the identifier.
 */
export const handler = httpHandler(async ({ body, sourceIp }) => {
  onlyFields(body, ['challengeId', 'code']);
  const challengeId = requiredString(body, 'challengeId', 64);
  const code = requiredString(body, 'code', 16);
  const challenge = await verifyCode(verifyDeps, { challengeId, code, source: { ip: sourceIp } }).catch(
    (error: unknown) => {
      metrics.addMetric('VerifyFailed', 'Count', 1);
      throw error;
    },
  );
  const user = await users.recordLogin(
    challenge.identifierKey,
    generateId(systemRandom, 'usr'),
    systemClock.now(),
  );
  metrics.addMetric('VerifySucceeded', 'Count', 1);
  return { status: 200, body: await startSession(tokenDeps, user) };
});
