export { DynamoChallengeStore } from './dynamodb/challenge-store.ts';
export { DynamoCounterStore } from './dynamodb/counter-store.ts';
export { DynamoDenylistStore } from './dynamodb/denylist-store.ts';
export { DynamoSessionStore } from './dynamodb/session-store.ts';
export { DynamoUserStore } from './dynamodb/user-store.ts';
export { HttpCaptchaVerifier } from './http-captcha-verifier.ts';
export { SesMailer } from './ses-mailer.ts';
export { SnsSmsSender } from './sns-sms-sender.ts';
