import {
  type ChallengeWorkflowInput,
  type DenylistStore,
  normalizeIdentifier,
  screenIdentifier,
} from '@authkit/core';
import { stepHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type DenylistDeps = {
  observability: Observability;
  denylist: DenylistStore;
  smsCountries: readonly string[];
};

/** CheckDenylist: throws IdentifierRejected for denied identifiers, domains, disposable mail and premium numbers. */
export function denylistHandler(deps: DenylistDeps) {
  return stepHandler(deps.observability, async (input: ChallengeWorkflowInput) => {
    await screenIdentifier(deps, normalizeIdentifier(input.identifier));
    return {};
  });
}

export const handler = deployed((root) => root.denylist(), denylistHandler);
