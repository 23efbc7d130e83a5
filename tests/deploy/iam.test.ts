/**
 * Each function's role allows every DynamoDB call its code makes. The sign-in flows run through
 * `npm start`'s runtime with each function's DynamoDB endpoint pointed at a recorder, and what each
 * function did is held to the policies of its role in template.yaml as CloudFormation receives it
 * (the SAM transform, run offline). A call the role does not allow would fail on AWS with
 * AccessDenied, in a path no local test would otherwise notice.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { hashToken } from '../../layers/core/src/secrets.ts';
import { type LocalRuntime, REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';
import { TABLES } from '../support/core-fixtures.ts';
import { startDynamoDbRecorder } from '../support/dynamodb-recorder.ts';
import { sesBounce, smsDeliveryFailed, uniquePhone } from '../support/feedback-events.ts';
import { client } from '../support/http.ts';
import { samTranslated } from '../support/python.ts';
import { documentClient, dynamodbEndpoint, startTestRuntime, uniqueEmail } from '../support/stack.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Statement = { Effect: string; Action: string | string[]; Resource: Json };
type Resource = { Type: string; Properties: Record<string, Json> };

const translated = samTranslated<{ Resources: Record<string, Resource> }>(REPO_ROOT);

/** `dynamodb:<Action> <Table>` for every DynamoDB action a function's role allows on a table of the stack. */
function allowed(functionId: string): Set<string> {
  const role = translated.Resources[functionId]?.Properties.Role as { 'Fn::GetAtt': string[] } | undefined;
  const roleId = role?.['Fn::GetAtt'][0] ?? '';
  // A policy under a condition (`Fn::If`) counts as granted: the flows run with every condition off,
  // and such policies here grant secrets, not tables.
  const policies = ((translated.Resources[roleId]?.Properties.Policies ?? []) as Json[])
    .flatMap((policy) => (policy as { 'Fn::If'?: Json[] })['Fn::If']?.slice(1) ?? [policy])
    .filter((policy): policy is { PolicyDocument: { Statement: Statement[] } } =>
      Boolean((policy as { PolicyDocument?: Json } | null)?.PolicyDocument),
    );
  const grants = new Set<string>();
  for (const statement of policies.flatMap((policy) => policy.PolicyDocument.Statement ?? [])) {
    if (statement.Effect !== 'Allow') continue;
    const tables = [statement.Resource]
      .flat()
      .map((resource) => (resource as { 'Fn::GetAtt'?: string[] } | null)?.['Fn::GetAtt'])
      .filter((attribute): attribute is string[] => attribute?.[1] === 'Arn')
      .map(([table]) => table);
    for (const action of [statement.Action].flat()) {
      for (const table of tables) grants.add(`${action} ${table}`);
    }
  }
  return grants;
}

let runtime: LocalRuntime;
let recorder: Awaited<ReturnType<typeof startDynamoDbRecorder>>;
let calls: Record<string, string[]>;

/** Every path that writes or reads DynamoDB: sign-in with a lockout block, refresh, reuse, logout, resend, health, SMS. */
async function signInFlows(): Promise<void> {
  const here = client(runtime.url);
  const elsewhere = client(runtime.url, '127.1.0.2');
  const email = uniqueEmail('iam');
  const started = await here.start(email);
  const code = await here.latestCode(email);
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  for (let i = 0; i < 4; i++) await here.verify(started.body.challengeId, wrong);
  const signedIn = await elsewhere.verify(started.body.challengeId, code);
  expect(signedIn.status).toBe(200);
  const refreshed = await here.refresh(signedIn.body.refreshToken);
  expect(refreshed.status).toBe(200);
  // A protected route: the authorizer reads the session on the way in.
  const authorization = `Bearer ${refreshed.body.accessToken}`;
  expect((await here.call('GET', '/v1/me', undefined, { authorization })).status).toBe(200);
  expect((await here.refresh(signedIn.body.refreshToken)).status).toBe(401);
  await here.post('/v1/auth/logout', { refreshToken: refreshed.body.refreshToken });

  // The first network is blocked for this identifier now; the second signed in and is not.
  const again = await elsewhere.start(email);
  await documentClient().send(
    new UpdateCommand({
      TableName: TABLES.challenges,
      Key: { pk: again.body.challengeId },
      UpdateExpression: 'SET lastSentAt = :long',
      ExpressionAttributeValues: { ':long': Date.now() - 3_600_000 },
    }),
  );
  expect((await elsewhere.post('/v1/auth/resend', { challengeId: again.body.challengeId })).status).toBe(202);
  expect((await here.get('/health')).status).toBe(200);

  // By magic link: its page reads the challenge, its verify consumes it and clears the lockout.
  const verifier = randomBytes(32).toString('base64url');
  const linked = uniqueEmail('iam-link');
  const link = await here.start(linked, {
    method: 'magic_link',
    redirectUri: `${runtime.url}/_local/app`,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
  });
  expect(link.status).toBe(202);
  const { body: inbox } = await here.get(`/_local/messages?to=${encodeURIComponent(linked)}`);
  const token = /token=(\S+)/.exec((inbox.messages as { text: string }[])[0]?.text ?? '')?.[1] ?? '';
  expect((await here.get(`/v1/auth/magic-link?token=${token}`)).status).toBe(200);
  // With a device: the sign-in records it (a new device of the user) and tells of it.
  const device = { name: 'iam laptop', platform: 'Linux x86_64', userAgent: 'Mozilla/5.0 (X11; Linux)' };
  const confirm = (codeVerifier?: string) =>
    here.post('/v1/auth/magic-link/verify', { token: decodeURIComponent(token), codeVerifier, device });
  expect((await confirm()).status).toBe(401);
  expect((await confirm(verifier)).status).toBe(200);

  // By SMS: the send step counts the send for the SMS breaker and reads the previous window and the
  // trips; verify counts the sign-in.
  expect((await here.signIn('+14155550142')).status).toBe(200);
}

/** Delivery feedback as EventBridge delivers it: a first write, and the same event again (refused by its condition). */
async function feedbackFlows(): Promise<void> {
  const bounce = sesBounce('Permanent', [uniqueEmail('iam-bounce')]);
  const failed = smsDeliveryFailed(uniquePhone());
  for (let delivery = 0; delivery < 2; delivery++) {
    await runtime.lambda.invoke('EmailFeedbackFunction', bounce);
    await runtime.lambda.invoke('SmsFeedbackFunction', failed);
  }
}

/** The operator's commands, and refusals (audited) of a start and of a resend. */
async function adminAndRefusalFlows(): Promise<void> {
  const here = client(runtime.url);
  const email = uniqueEmail('iamadmin');
  const admin = (command: string) => runtime.lambda.invoke('AdminFunction', { command, identifier: email });
  const started = await here.start(email);
  expect((await here.post('/v1/auth/resend', { challengeId: started.body.challengeId })).status).toBe(429);
  await admin('denylist-add');
  expect((await here.start(email)).status).toBe(422);
  await admin('denylist-why');
  await admin('denylist-list');
  await admin('denylist-remove');
  await admin('sessions-end');
}

/**
 * A rotated refresh token replayed past the grace window (the reuse that ends its session, and its
 * audit record), and the trail read back as API Gateway hands the route the authorizer's caller.
 */
async function reuseAndActivityFlows(): Promise<void> {
  const here = client(runtime.url);
  const signedIn = await here.signIn(uniqueEmail('iam-reuse'));
  const refreshToken = signedIn.body.refreshToken as string;
  expect((await here.refresh(refreshToken)).status).toBe(200);
  await documentClient().send(
    new UpdateCommand({
      TableName: TABLES.sessions,
      Key: { pk: `refresh#${hashToken(refreshToken)}` },
      UpdateExpression: 'SET rotatedAt = :minuteAgo',
      ExpressionAttributeValues: { ':minuteAgo': Date.now() - 60_000 },
    }),
  );
  expect((await here.refresh(refreshToken)).status).toBe(401);
  const event = JSON.parse(readFileSync(join(REPO_ROOT, 'events/api/activity.json'), 'utf8'));
  const read = (await runtime.lambda.invoke('ActivityFunction', event)) as { statusCode: number };
  expect(read.statusCode).toBe(200);
}

/** A described device's sign-ins, refreshes (its own and another's), and the devices routes behind the authorizer. */
async function deviceFlows(): Promise<void> {
  const here = client(runtime.url);
  const email = uniqueEmail('iamdevice');
  const laptop = {
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/131.0.0.0',
    screen: '1512x982',
  };
  const signIn = async (device?: Record<string, unknown>) => {
    const started = await here.start(email);
    const code = await here.latestCode(email);
    const body = { challengeId: started.body.challengeId, code, ...(device ? { device } : {}) };
    const verified = await here.post('/v1/auth/verify', body);
    expect(verified.status).toBe(200);
    return verified.body as { accessToken: string; refreshToken: string };
  };
  const refresh = (refreshToken: string, device?: Record<string, unknown>) =>
    here.post('/v1/auth/token', { grantType: 'refresh_token', refreshToken, ...(device ? { device } : {}) });
  const devices = async (accessToken: string, method: string, body?: unknown, id?: string) => {
    const { sub, sid } = decodeJwt(accessToken) as { sub: string; sid: string };
    const { Item } = await documentClient().send(
      new GetCommand({ TableName: TABLES.accounts, Key: { pk: sub, sk: `session#${sid}` } }),
    );
    const authorizer = {
      userId: sub,
      sessionId: sid,
      deviceId: Item?.deviceId ?? '',
      identifierKey: `email#${email}`,
    };
    const result = (await runtime.lambda.invoke('DevicesFunction', {
      resource: id ? '/v1/devices/{id}' : '/v1/devices',
      httpMethod: method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : null,
      pathParameters: id ? { id } : null,
      requestContext: { requestId: 'iam', identity: { sourceIp: '127.0.0.1' }, authorizer },
    })) as { statusCode: number; body: string };
    return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : {} };
  };
  const first = await signIn(laptop);
  await signIn(laptop);
  expect((await refresh(first.refreshToken, laptop)).status).toBe(200);
  expect((await refresh(first.refreshToken, { screen: '800x600' })).status).toBe(401);
  const undescribed = await signIn();
  expect((await refresh(undescribed.refreshToken)).status).toBe(200);
  expect(
    (await devices(undescribed.accessToken, 'POST', { device: { ...laptop, name: 'late' } })).status,
  ).toBe(201);
  expect((await devices(first.accessToken, 'POST', { device: { ...laptop, name: 'laptop' } })).status).toBe(
    201,
  );
  const listed = await devices(first.accessToken, 'GET');
  expect(listed.status).toBe(200);
  expect(
    (await devices(undescribed.accessToken, 'DELETE', undefined, listed.body.devices[0].id)).status,
  ).toBe(204);
}

beforeAll(async () => {
  recorder = await startDynamoDbRecorder(dynamodbEndpoint());
  runtime = await startTestRuntime({ LockoutSourceFailures: '3' }, {}, (functionId) => ({
    AWS_ENDPOINT_URL_DYNAMODB: `${recorder.url}/${functionId}`,
  }));
  await signInFlows();
  await feedbackFlows();
  await adminAndRefusalFlows();
  await reuseAndActivityFlows();
  await deviceFlows();
  calls = recorder.calls();
}, 60_000);

afterAll(async () => {
  await runtime.close();
  await recorder.close();
});

describe("each function's role", () => {
  const functions = new LocalTemplate(REPO_ROOT, {
    parameters: { TokenIssuer: 'https://auth.test' },
  }).functions();

  it('was seen calling DynamoDB on the flows (the recorder works)', () => {
    // Assess
    expect(Object.keys(calls).sort()).toEqual(
      expect.arrayContaining([
        'ActivityFunction',
        'AdminFunction',
        'AuthorizerFunction',
        'CheckDenylistFunction',
        'CheckRateLimitFunction',
        'DevicesFunction',
        'EmailFeedbackFunction',
        'MagicLinkPageFunction',
        'MagicLinkVerifyFunction',
        'ResendFunction',
        'SendChallengeFunction',
        'SmsFeedbackFunction',
        'StartFunction',
        'TokenFunction',
        'VerifyFunction',
      ]),
    );
    expect(calls.VerifyFunction?.length).toBeGreaterThan(5);
  });

  it('lets only ActivityFunction read the audit trail, and no function change or delete a record', () => {
    // Act
    const onAudit = functions.flatMap((fn) =>
      [...allowed(fn.id)]
        .filter((grant) => grant.endsWith(' AuditTable') && grant !== 'dynamodb:PutItem AuditTable')
        .map((grant) => `${fn.id}: ${grant}`),
    );

    // Assess
    expect(onAudit).toEqual(['ActivityFunction: dynamodb:Query AuditTable']);
  });

  it.each(functions.map((fn) => [fn.id] as const))('%s allows every DynamoDB call it made', (id) => {
    // Act
    const grants = allowed(id);

    // Assess
    expect((calls[id] ?? []).filter((call) => !grants.has(call))).toEqual([]);
  });
});
