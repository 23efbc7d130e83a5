import { enforceRateLimits, normalizeIdentifier, systemClock } from '@authkit/core';
import { DynamoCounterStore } from '@authkit/core/adapters/dynamodb';
import { config } from '../_shared/config.ts';
import { db } from '../_shared/dynamodb.ts';
import { stepHandler } from '../_shared/handler.ts';
import type { ChallengeWorkflowInput } from '../_shared/workflow.ts';

const counters = new DynamoCounterStore(db, config.tables.counters);

/**
 * CheckRateLimit: throws RateLimited when a budget (identifier, IP, network, prefix, country,
 * deployment) is spent; otherwise says whether the start is risky, for VerifyCaptcha.
 */
export const handler = stepHandler(async (input: ChallengeWorkflowInput) =>
  enforceRateLimits(
    { counters, config: config.rateLimit },
    {
      identifier: normalizeIdentifier(input.identifier),
      sourceIp: input.sourceIp,
      asn: input.asn,
      now: systemClock.now(),
    },
  ),
);
