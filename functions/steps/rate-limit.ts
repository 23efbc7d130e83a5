import { assessSend, normalizeIdentifier, systemClock } from '@authkit/core';
import { DynamoCounterStore, DynamoLockStore } from '@authkit/core/adapters/dynamodb';
import { config, tables } from '../_shared/config.ts';
import { db } from '../_shared/dynamodb.ts';
import { stepHandler } from '../_shared/handler.ts';
import type { ChallengeWorkflowInput } from '../_shared/workflow.ts';

const counters = new DynamoCounterStore(db, tables.counters);
const locks = new DynamoLockStore(db, tables.counters);

/**
 * CheckRateLimit: throws RateLimited while the lockout blocks this source or identifier, or when a
 * budget (identifier, IP, network, prefix, country, deployment) is already spent; otherwise says
 * whether the start is risky, for VerifyCaptcha. It counts nothing: SendChallenge spends the
 * budgets, together with its claim, so a start refused at any step spends none.
 */
export const handler = stepHandler(async (input: ChallengeWorkflowInput) =>
  assessSend(
    { counters, locks, config },
    {
      identifier: normalizeIdentifier(input.identifier),
      source: { ip: input.sourceIp, asn: input.asn },
      now: systemClock.now(),
    },
  ),
);
