import { issueChallenge, normalizeIdentifier } from '@authkit/core';
import { challengeDeps } from '../_shared/delivery.ts';
import { stepHandler } from '../_shared/handler.ts';
import { metrics } from '../_shared/powertools.ts';
import type { ChallengeWorkflowInput } from '../_shared/workflow.ts';

/**
 * SendChallenge: claims the first send together with the budgets it spends, then delivers the
 * code. Idempotent by challenge id, so the workflow's retry never delivers or spends twice. Throws
 * RateLimited (a budget filled since CheckRateLimit read it), ProviderUnavailable (retried) or
 * DeliveryFailed.
 */
export const handler = stepHandler(async (input: ChallengeWorkflowInput) => {
  const view = await issueChallenge(challengeDeps, {
    challengeId: input.challengeId,
    identifier: normalizeIdentifier(input.identifier),
    channel: input.channel,
    source: { ip: input.sourceIp, asn: input.asn },
    locale: input.locale,
  });
  // A single metric, so the channel dimension does not spill onto the invocation's other metrics.
  const sent = metrics.singleMetric();
  sent.addDimension('channel', view.channel);
  sent.addMetric('ChallengeSent', 'Count', 1);
  return view;
});
