import { type ChallengeDeps, requireSecret, systemClock, systemRandom } from '@authkit/core';
import { DynamoChallengeStore, SesMailer, SnsSmsSender } from '@authkit/core/adapters';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { config } from './config.ts';
import { db } from './dynamodb.ts';
import { tracer } from './powertools.ts';

/** Everything that issues and delivers codes: the send step and the resend route. */
export const challengeDeps: ChallengeDeps = {
  store: new DynamoChallengeStore(db, config.tables.challenges),
  mailer: new SesMailer(tracer.captureAWSv3Client(new SESv2Client({})), config.email),
  sms: new SnsSmsSender(tracer.captureAWSv3Client(new SNSClient({})), config.sms),
  clock: systemClock,
  random: systemRandom,
  config,
};

requireSecret(config.code.pepper, 'CODE_PEPPER');
