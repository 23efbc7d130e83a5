/**
 * Every sample in events/ fed to its function's handler, as `sam local invoke <LogicalId> -e
 * events/<file>` would: the handler built from the function's own template.yaml environment and
 * nothing else, against DynamoDB Local, SES local and the local workflow.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { systemClock } from '../../layers/core/src/system.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { stores } from '../support/core-fixtures.ts';
import { runtimeForSuite } from '../support/suite.ts';

/** `denylists`: for feedback samples, whether each key stands on the denylist after the sample ran. */
type Expectation = {
  functionId: string;
  status?: number;
  body: object | undefined;
  /** An HTML page: words it holds (`body` is then undefined for HEAD, unchecked otherwise). */
  html?: string;
  denylists?: Record<string, boolean>;
  /** The error the invocation fails with, e.g. an authorizer's `Unauthorized` (API Gateway's 401). */
  error?: string;
};

const view = (channel: string) => ({
  challengeId: expect.stringMatching(/^ch_/),
  channel,
  method: 'otp',
  destination: expect.stringContaining('*'),
  expiresAt: expect.any(String),
  resendAvailableAt: expect.any(String),
  codeLength: 6,
});
const problem = (status: number, code: string) => ({
  type: `urn:authkit:problem:${code}`,
  status,
  code,
  requestId: expect.any(String),
});

/**
 * In this order: the send step creates the samples' challenge (ch_exampleexampleexample1), which
 * the verify and resend samples then meet.
 */
const SAMPLES: Record<string, Expectation> = {
  'steps/rate-limit.json': { functionId: 'CheckRateLimitFunction', body: { elevated: false } },
  'steps/denylist.json': { functionId: 'CheckDenylistFunction', body: {} },
  'steps/captcha.json': { functionId: 'VerifyCaptchaFunction', body: {} },
  'steps/send.json': { functionId: 'SendChallengeFunction', body: view('email') },
  'steps/send-sms.json': { functionId: 'SendChallengeFunction', body: view('sms') },
  'steps/send-magic-link.json': {
    functionId: 'SendChallengeFunction',
    body: { ...view('email'), method: 'magic_link' },
  },
  'api/start.json': { functionId: 'StartFunction', status: 202, body: view('email') },
  'api/start-sms.json': { functionId: 'StartFunction', status: 202, body: view('sms') },
  'api/verify.json': { functionId: 'VerifyFunction', status: 401, body: problem(401, 'invalid_code') },
  'api/resend.json': {
    functionId: 'ResendFunction',
    status: 429,
    body: { ...problem(429, 'rate_limited'), rule: 'cooldown', retryAfterSeconds: expect.any(Number) },
  },
  'api/magic-link.json': {
    functionId: 'MagicLinkPageFunction',
    status: 404,
    body: {},
    html: 'This sign-in link no longer works',
  },
  'api/magic-link-head.json': { functionId: 'MagicLinkPageFunction', status: 404, body: undefined },
  'api/magic-link-verify.json': {
    functionId: 'MagicLinkVerifyFunction',
    status: 401,
    body: problem(401, 'invalid_link'),
  },
  'api/token.json': { functionId: 'TokenFunction', status: 401, body: problem(401, 'invalid_grant') },
  'api/logout.json': { functionId: 'LogoutFunction', status: 204, body: undefined },
  'api/activity.json': { functionId: 'ActivityFunction', status: 200, body: { items: expect.any(Array) } },
  'api/me.json': {
    functionId: 'MeFunction',
    status: 200,
    body: { user: { id: 'usr_exampleexampleexample1', identifier: 'ada@example.com' }, sessions: [] },
  },
  'api/end-session.json': { functionId: 'SessionsFunction', status: 404, body: problem(404, 'not_found') },
  'api/devices-list.json': { functionId: 'DevicesFunction', status: 200, body: { devices: [] } },
  // The sample's session was never opened: its device cannot be bound, as after the session ended.
  'api/devices-bind.json': { functionId: 'DevicesFunction', status: 401, body: problem(401, 'unauthorized') },
  'api/devices-revoke.json': { functionId: 'DevicesFunction', status: 404, body: problem(404, 'not_found') },
  // A token of no key of the ring (its kid is made up): refused, as API Gateway's contract says.
  'api/authorizer.json': { functionId: 'AuthorizerFunction', body: undefined, error: 'Unauthorized' },
  'api/jwks.json': {
    functionId: 'JwksFunction',
    status: 200,
    body: { keys: [expect.any(Object), expect.any(Object)] },
  },
  'api/health.json': {
    functionId: 'HealthFunction',
    status: 200,
    body: { status: 'ok', checks: { dynamodb: { status: 'ok' } } },
  },
  'api/health-live.json': { functionId: 'HealthFunction', status: 200, body: { status: 'ok' } },
  'feedback/ses-bounce-permanent.json': {
    functionId: 'EmailFeedbackFunction',
    body: undefined,
    denylists: { 'email#ada.bounced@example.com': true },
  },
  'feedback/ses-bounce-transient.json': {
    functionId: 'EmailFeedbackFunction',
    body: undefined,
    denylists: { 'email#full.mailbox@example.com': false },
  },
  'feedback/ses-bounce-undetermined.json': {
    functionId: 'EmailFeedbackFunction',
    body: undefined,
    denylists: { 'email#unsure.mailbox@example.com': false },
  },
  'feedback/ses-complaint.json': {
    functionId: 'EmailFeedbackFunction',
    body: undefined,
    denylists: { 'email#complainer@example.com': true },
  },
  'feedback/sms-voice-text-invalid.json': {
    functionId: 'SmsFeedbackFunction',
    body: undefined,
    denylists: { 'phone#+14255550199': true },
  },
  'feedback/sms-voice-carrier-unreachable.json': {
    functionId: 'SmsFeedbackFunction',
    body: undefined,
    denylists: { 'phone#+14255550142': false },
  },
  'feedback/authkit-sms-delivery-failed.json': {
    functionId: 'SmsFeedbackFunction',
    body: undefined,
    denylists: { 'phone#+14155550187': true },
  },
  'api/health-ready.json': {
    functionId: 'HealthFunction',
    status: 200,
    body: { status: 'ok', checks: { dynamodb: { status: 'ok' } } },
  },
  'rotation/signing-key-status.json': {
    functionId: 'SigningKeyRotationFunction',
    body: {
      command: 'keys-status',
      generation: 1,
      keys: [
        { kid: expect.any(String), generation: 1, role: 'signing' },
        { kid: expect.any(String), generation: 2, role: 'next' },
      ],
      currentSince: expect.any(String),
      nextRotationFrom: expect.any(String),
    },
  },
  'admin/admin-why.json': {
    functionId: 'AdminFunction',
    body: { command: 'denylist-why', identifier: 'sample.admin@example.com', blocks: [] },
  },
};

const files = readdirSync(join(REPO_ROOT, 'events'), { recursive: true, encoding: 'utf8' }).filter((file) =>
  file.endsWith('.json'),
);
const sample = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'events', file), 'utf8')) as unknown;

describe('the samples in events/', () => {
  const suite = runtimeForSuite();

  it('each have an expectation here', () => {
    // Assess
    expect(files.sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(Object.entries(SAMPLES))('%s runs through its handler', async (file, expected) => {
    // Act
    const invocation = suite.runtime.lambda.invoke(expected.functionId, sample(file));
    if (expected.error !== undefined) {
      await expect(invocation).rejects.toThrow(new Error(expected.error));
      return;
    }
    const result = await invocation;

    // Assess
    if (expected.denylists) {
      const keys = Object.keys(expected.denylists);
      const standing = new Set(
        (await stores().denylist(systemClock).standing(keys)).map((entry) => entry.key),
      );
      expect(Object.fromEntries(keys.map((key) => [key, standing.has(key)]))).toEqual(expected.denylists);
    }
    if (expected.status === undefined) {
      expect(result).toEqual(expected.body);
      return;
    }
    const response = result as { statusCode: number; headers: Record<string, string>; body: string };
    expect(response.statusCode).toBe(expected.status);
    if (expected.body === undefined) expect(response.body).toBe('');
    else if (expected.html) expect(response.body).toContain(expected.html);
    else expect(JSON.parse(response.body)).toMatchObject(expected.body);
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
  });
});
