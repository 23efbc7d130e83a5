import {
  type ChallengeDeps,
  type ChallengeWorkflowInput,
  normalizeIdentifier,
  sendChallenge,
} from '@authkit/core';
import { stepHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type SendDeps = { observability: Observability; challenges: ChallengeDeps };

/**
 * SendChallenge: claims the send (keyed by challenge id and send number) together with the budgets
 * it spends, then delivers the code, so the workflow's retry never delivers or spends twice.
 * Throws RateLimited (a budget filled since CheckRateLimit read it, the cool-down, the send cap),
 * ChallengeClosed, ProviderUnavailable (retried) or DeliveryFailed. A magic-link challenge's send
 * issues a link beside the code, in one email.
 */
export function sendHandler(deps: SendDeps) {
  const { metrics } = deps.observability;
  return stepHandler(deps.observability, async (input: ChallengeWorkflowInput) => {
    const { view, delivered } = await sendChallenge(deps.challenges, {
      challengeId: input.challengeId,
      sendNumber: input.sendNumber,
      identifier: normalizeIdentifier(input.identifier),
      channel: input.channel,
      source: { ip: input.sourceIp, asn: input.asn },
      method: input.method,
      link:
        input.redirectUri && input.codeChallenge
          ? { redirectUri: input.redirectUri, codeChallenge: input.codeChallenge }
          : undefined,
    });
    if (delivered) {
      // A single metric, so the channel dimension does not spill onto the invocation's other metrics.
      const sent = metrics.singleMetric();
      sent.addDimension('channel', view.channel);
      sent.addMetric('ChallengeSent', 'Count', 1);
    }
    return view;
  });
}

export const handler = deployed((root) => root.send(), sendHandler);
