/** `@authkit/core/adapters/messaging`: email by SES, SMS by SNS, and their clients. */
export { SESv2Client } from '@aws-sdk/client-sesv2';
export { SNSClient } from '@aws-sdk/client-sns';
export { SesMailer } from './ses-mailer.ts';
export { SnsSmsSender } from './sns-sms-sender.ts';
