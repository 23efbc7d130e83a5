import {
  type ChallengeDeps,
  type LockoutNotifier,
  renderLockoutEmail,
  renderLockoutSms,
  systemClock,
  systemRandom,
} from '@authkit/core';
import { DynamoChallengeStore } from '@authkit/core/adapters/dynamodb';
import { SESv2Client, SesMailer, SNSClient, SnsSmsSender } from '@authkit/core/adapters/messaging';
import { config, tables } from './config.ts';
import { db } from './dynamodb.ts';
import { logger, metrics, tracer } from './powertools.ts';
import { secretSource } from './secrets.ts';

/** Everything that issues and delivers codes: the send step and the resend route. */
export const challengeDeps: ChallengeDeps = {
  store: new DynamoChallengeStore(db, tables.challenges, tables.counters),
  mailer: new SesMailer(tracer.captureAWSv3Client(new SESv2Client({})), config.email),
  sms: new SnsSmsSender(tracer.captureAWSv3Client(new SNSClient({})), config.sms),
  clock: systemClock,
  random: systemRandom,
  pepper: secretSource('codePepper'),
  config,
};

/**
 * The notice a lockout block sends, on the channel of the codes. Best effort: a notice that cannot
 * be delivered must not change the answer to the wrong code that started the block.
 */
export const lockoutNotifier: LockoutNotifier = async ({ channel, destination, scope, minutes }) => {
  const input = { productName: config.product.name, scope, minutes };
  try {
    if (channel === 'email') {
      await challengeDeps.mailer.send({
        to: destination,
        ...renderLockoutEmail(input),
        tags: { notice: 'lockout' },
      });
    } else {
      await challengeDeps.sms.send({
        to: destination,
        text: renderLockoutSms(input),
        context: { notice: 'lockout' },
      });
    }
    metrics.addMetric('LockoutNoticeSent', 'Count', 1);
  } catch (error) {
    logger.warn('lockout notice not delivered', { channel, error: (error as Error).name });
    metrics.addMetric('LockoutNoticeFailed', 'Count', 1);
  }
};
