import {
  assessSend,
  type ChallengeWorkflowInput,
  type Clock,
  type Config,
  type CounterStore,
  type LockStore,
  normalizeIdentifier,
  type SmsBreakerStore,
} from '@authkit/core';
import { stepHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type RateLimitDeps = {
  observability: Observability;
  counters: CounterStore;
  locks: LockStore;
  smsBreaker: { store: SmsBreakerStore };
  clock: Clock;
  config: Pick<Config, 'rateLimit' | 'lockout' | 'captcha'>;
};

/**
 * CheckRateLimit: throws RateLimited while the lockout blocks this source or identifier, or when a
 * budget (identifier, IP, network, prefix, country, deployment) is already spent, or, with no
 * captcha provider, while the SMS breaker stands tripped over the destination; otherwise says
 * whether the send is risky, for VerifyCaptcha. It counts nothing: SendChallenge spends the
 * budgets, together with its claim, so a send refused at any step spends none.
 */
export function rateLimitHandler(deps: RateLimitDeps) {
  return stepHandler(deps.observability, async (input: ChallengeWorkflowInput) =>
    assessSend(deps, {
      identifier: normalizeIdentifier(input.identifier),
      source: { ip: input.sourceIp, asn: input.asn },
      now: deps.clock.now(),
    }),
  );
}

export const handler = deployed((root) => root.rateLimit(), rateLimitHandler);
