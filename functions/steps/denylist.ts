import { normalizeIdentifier, screenIdentifier, systemClock } from '@authkit/core';
import { DynamoDenylistStore } from '@authkit/core/adapters/dynamodb';
import { config, tables } from '../_shared/config.ts';
import { db } from '../_shared/dynamodb.ts';
import { stepHandler } from '../_shared/handler.ts';
import type { ChallengeWorkflowInput } from '../_shared/workflow.ts';

const denylist = new DynamoDenylistStore(db, tables.denylist, systemClock);

/** CheckDenylist: throws IdentifierRejected for denied identifiers, domains, disposable mail and premium numbers. */
export const handler = stepHandler(async (input: ChallengeWorkflowInput) => {
  await screenIdentifier(
    { denylist, smsCountries: config.sms.allowedCountries },
    normalizeIdentifier(input.identifier),
  );
  return {};
});
