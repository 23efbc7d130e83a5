import { type ChallengeDeps, systemClock, systemRandom } from '@authkit/core';
import { DynamoChallengeStore } from '@authkit/core/adapters/dynamodb';
import { SESv2Client, SesMailer, SNSClient, SnsSmsSender } from '@authkit/core/adapters/messaging';
import { config } from './config.ts';
import { db } from './dynamodb.ts';
import { tracer } from './powertools.ts';
import { secretSource } from './secrets.ts';

/** Everything that issues and delivers codes: the send step and the resend route. */
export const challengeDeps: ChallengeDeps = {
  store: new DynamoChallengeStore(db, config.tables.challenges),
  mailer: new SesMailer(tracer.captureAWSv3Client(new SESv2Client({})), config.email),
  sms: new SnsSmsSender(tracer.captureAWSv3Client(new SNSClient({})), config.sms),
  clock: systemClock,
  random: systemRandom,
  pepper: secretSource('codePepper'),
  config,
};
