import { InvalidRequest, resendChallenge } from '@authkit/core';
import { challengeDeps } from '../_shared/delivery.ts';
import { httpHandler } from '../_shared/handler.ts';
import { metrics } from '../_shared/powertools.ts';
import { onlyFields, optionalString, requiredString } from '../_shared/validate.ts';

/** POST /v1/auth/resend: a fresh code for an open challenge, after the cool-down and within the send cap. */
export const handler = httpHandler(async ({ body }) => {
  onlyFields(body, ['challengeId', 'locale']);
  const challengeId = requiredString(body, 'challengeId', 64);
  const locale = optionalString(body, 'locale', 35);
  if (locale !== undefined && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale)) {
    throw new InvalidRequest('locale', 'must be a BCP 47 tag such as en-GB');
  }
  const view = await resendChallenge(challengeDeps, { challengeId, locale });
  const sent = metrics.singleMetric();
  sent.addDimension('channel', view.channel);
  sent.addMetric('ChallengeSent', 'Count', 1);
  return { status: 202, body: view };
});
