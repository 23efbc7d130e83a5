import { enforceRateLimits, resendChallenge, screenIdentifier, systemClock } from '@authkit/core';
import { DynamoCounterStore, DynamoDenylistStore } from '@authkit/core/adapters/dynamodb';
import { trustedAsn } from '../_shared/asn.ts';
import { config } from '../_shared/config.ts';
import { challengeDeps } from '../_shared/delivery.ts';
import { db } from '../_shared/dynamodb.ts';
import { httpHandler } from '../_shared/handler.ts';
import { metrics } from '../_shared/powertools.ts';
import { onlyFields, optionalLocale, requiredString } from '../_shared/validate.ts';

const counters = new DynamoCounterStore(db, config.tables.counters);
const denylist = new DynamoDenylistStore(db, config.tables.denylist, systemClock);

/**
 * POST /v1/auth/resend: a fresh code for an open challenge, after the cool-down and within the send
 * cap. A resend is a send: it spends the identifier's and the IP's budget and meets the denylist, as
 * the workflow's screening steps do for a start.
 */
export const handler = httpHandler(async (request) => {
  const { body, sourceIp } = request;
  onlyFields(body, ['challengeId', 'locale']);
  const view = await resendChallenge(challengeDeps, {
    challengeId: requiredString(body, 'challengeId', 64),
    locale: optionalLocale(body),
    screen: async (identifier) => {
      await enforceRateLimits(
        { counters, config: config.rateLimit },
        { identifier, sourceIp, asn: await trustedAsn(request), now: systemClock.now() },
      );
      await screenIdentifier({ denylist, smsCountries: config.sms.allowedCountries }, identifier);
    },
  });
  const sent = metrics.singleMetric();
  sent.addDimension('channel', view.channel);
  sent.addMetric('ChallengeSent', 'Count', 1);
  return { status: 202, body: view };
});
