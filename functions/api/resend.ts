import { assessSend, resendChallenge, screenIdentifier } from '@authkit/core';
import { DynamoCounterStore, DynamoDenylistStore, DynamoLockStore } from '@authkit/core/adapters/dynamodb';
import { trustedAsn } from '../_shared/asn.ts';
import { config, tables } from '../_shared/config.ts';
import { challengeDeps } from '../_shared/delivery.ts';
import { db } from '../_shared/dynamodb.ts';
import { httpHandler } from '../_shared/handler.ts';
import { metrics } from '../_shared/powertools.ts';
import { onlyFields, optionalLocale, requiredString } from '../_shared/validate.ts';

const counters = new DynamoCounterStore(db, tables.counters);
const locks = new DynamoLockStore(db, tables.counters);
const denylist = new DynamoDenylistStore(db, tables.denylist, challengeDeps.clock);

/**
 * POST /v1/auth/resend: a fresh code for an open challenge, after the cool-down and within the send
 * cap. A resend is a send: it meets the lockout, the budgets and the denylist as a start does, and
 * its claim spends the budgets, so a resend refused by the cool-down spends nothing.
 */
export const handler = httpHandler(async (request) => {
  const { body } = request;
  onlyFields(body, ['challengeId', 'locale']);
  const source = { ip: request.sourceIp, asn: await trustedAsn(request) };
  const view = await resendChallenge(challengeDeps, {
    challengeId: requiredString(body, 'challengeId', 64),
    source,
    locale: optionalLocale(body),
    screen: async (identifier, now) => {
      await screenIdentifier({ denylist, smsCountries: config.sms.allowedCountries }, identifier);
      await assessSend({ counters, locks, config }, { identifier, source, now });
    },
  });
  const sent = metrics.singleMetric();
  sent.addDimension('channel', view.channel);
  sent.addMetric('ChallengeSent', 'Count', 1);
  return { status: 202, body: view };
});
