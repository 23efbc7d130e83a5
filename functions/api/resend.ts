import { resendChallenge } from '@authkit/core';
import { challengeDeps } from '../_shared/delivery.ts';
import { httpHandler } from '../_shared/handler.ts';
import { metrics } from '../_shared/powertools.ts';
import { onlyFields, optionalLocale, requiredString } from '../_shared/validate.ts';

/** POST /v1/auth/resend: a fresh code for an open challenge, after the cool-down and within the send cap. */
export const handler = httpHandler(async ({ body }) => {
  onlyFields(body, ['challengeId', 'locale']);
  const view = await resendChallenge(challengeDeps, {
    challengeId: requiredString(body, 'challengeId', 64),
    locale: optionalLocale(body),
  });
  const sent = metrics.singleMetric();
  sent.addDimension('channel', view.channel);
  sent.addMetric('ChallengeSent', 'Count', 1);
  return { status: 202, body: view };
});
