/**
 * Every adapter, for the tests. Functions import the entry of each AWS service
 * they use (`@authkit/core/adapters/dynamodb`, …, see package.json), so a function's cold start
 * loads only those SDK clients from the layer.
 */
export * from './dynamodb/index.ts';
export * from './end-user-messaging-sms-sender.ts';
export { HttpCaptchaVerifier } from './http-captcha-verifier.ts';
export * from './messaging.ts';
export * from './secrets-manager.ts';
export * from './step-functions.ts';
