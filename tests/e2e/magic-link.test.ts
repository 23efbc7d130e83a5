/**
 * Magic links through `npm start`'s runtime: the email carries a link and a code; opening the link
 * (GET, HEAD) consumes nothing; only the starting browser's verifier turns the token into tokens,
 * once, however many confirmations race.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { DynamoDenylistStore } from '../../layers/core/src/adapters/dynamodb/denylist-store.ts';
import { auditSubject } from '../../layers/core/src/audit.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { systemClock } from '../../layers/core/src/system.ts';
import { TABLES } from '../support/core-fixtures.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();
const appUrl = () => `${suite.runtime.url}/_local/app`;

/** What the app makes before it starts: a verifier it keeps, and the challenge it sends. */
function binding() {
  const codeVerifier = randomBytes(32).toString('base64url');
  return { codeVerifier, codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url') };
}

type Email = { text: string; html: string };

async function latestEmail(to: string): Promise<Email> {
  const { body } = await suite.http.get(`/_local/messages?to=${encodeURIComponent(to)}`);
  const [message] = body.messages as Email[];
  if (!message) throw new Error(`no message to ${to}`);
  return message;
}

const linkIn = (email: Email): string => {
  const match = /(\S+\/v1\/auth\/magic-link\?token=\S+)/.exec(email.text);
  if (!match) throw new Error(`no link in ${email.text}`);
  return match[1] as string;
};
const tokenIn = (email: Email): string => new URL(linkIn(email)).searchParams.get('token') as string;
const codeIn = (email: Email): string => {
  const match = /where you started signing in: (\d{6,8})/.exec(email.text);
  if (!match) throw new Error(`no code in ${email.text}`);
  return match[1] as string;
};

/** Starts a magic link for a fresh address; the app's verifier, the challenge and the email. */
async function requestLink(extra: Record<string, unknown> = {}) {
  const email = uniqueEmail('magic');
  const { codeVerifier, codeChallenge } = binding();
  const started = await suite.http.start(email, {
    method: 'magic_link',
    redirectUri: appUrl(),
    codeChallenge,
    ...extra,
  });
  expect(started.status).toBe(202);
  const message = await latestEmail(email);
  return {
    email,
    codeVerifier,
    challengeId: String(started.body.challengeId),
    message,
    token: tokenIn(message),
  };
}

const confirm = (token: unknown, codeVerifier?: string, device?: object) =>
  suite.http.post('/v1/auth/magic-link/verify', {
    token,
    ...(codeVerifier && { codeVerifier }),
    ...(device && { device }),
  });

const page = (token: string, method = 'GET') =>
  suite.http.call(method, `/v1/auth/magic-link?token=${encodeURIComponent(token)}`);

/** The user's session summaries (accounts table), one per session opened. */
const sessionsOf = async (userId: string) =>
  (
    await documentClient().send(
      new QueryCommand({
        TableName: TABLES.accounts,
        KeyConditionExpression: 'pk = :user AND begins_with(sk, :session)',
        ExpressionAttributeValues: { ':user': userId, ':session': 'session#' },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

const challengeItem = async (challengeId: string) =>
  (await documentClient().send(new GetCommand({ TableName: TABLES.challenges, Key: { pk: challengeId } })))
    .Item;

describe('starting a magic link', () => {
  it('answers 202 with method magic_link, and emails a link to this runtime with the code beside it', async () => {
    // Act
    const { message, challengeId } = await requestLink();

    // Assess
    expect(challengeId).toMatch(/^ch_/);
    expect(linkIn(message)).toMatch(
      new RegExp(`^${suite.runtime.url}/v1/auth/magic-link\\?token=ch_[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$`),
    );
    expect(codeIn(message)).toMatch(/^\d{6}$/);
    expect(message.html).toContain(linkIn(message));
    expect(message.html).toContain(codeIn(message));
  });

  it('keeps only the SHA-256 of the link token, and what start bound the link to', async () => {
    // Act
    const { challengeId, token } = await requestLink();

    // Assess
    const item = await challengeItem(challengeId);
    expect(item).toMatchObject({
      method: 'magic_link',
      linkHash: createHash('sha256').update(token).digest('base64url'),
      redirectUri: appUrl(),
      codeChallenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(JSON.stringify(item)).not.toContain(token.split('.')[1]);
  });

  it('builds the link from configuration, whatever Host header the request names', async () => {
    // Prepare
    const email = uniqueEmail('host');

    // Act
    const started = await suite.http.call(
      'POST',
      '/v1/auth/start',
      {
        identifier: email,
        method: 'magic_link',
        redirectUri: appUrl(),
        codeChallenge: binding().codeChallenge,
      },
      { host: 'evil.example' },
    );

    // Assess
    expect(started.status).toBe(202);
    expect(linkIn(await latestEmail(email)).startsWith(`${suite.runtime.url}/v1/auth/magic-link?`)).toBe(
      true,
    );
  });

  it.each([
    ['a redirectUri outside the allow-list', 'redirectUri', { redirectUri: 'https://evil.example/callback' }],
    ['a redirectUri that only starts like an allowed one', 'redirectUri', { redirectUri: 'APP/../evil' }],
    ['no redirectUri', 'redirectUri', { redirectUri: undefined }],
    ['no code challenge', 'codeChallenge', { codeChallenge: undefined }],
    ['a code challenge that is no S256 digest', 'codeChallenge', { codeChallenge: 'plain-verifier' }],
    ['a phone number', 'method', { identifier: '+14155550123' }],
    ['SMS', 'method', { channel: 'sms' }],
  ])('refuses %s with 400 naming %s, and sends nothing', async (_, field, change) => {
    // Prepare
    const email = uniqueEmail('refused');
    const body = {
      identifier: email,
      method: 'magic_link',
      redirectUri: appUrl(),
      codeChallenge: binding().codeChallenge,
      ...change,
    };
    if (body.redirectUri?.startsWith('APP')) body.redirectUri = body.redirectUri.replace('APP', appUrl());

    // Act
    const started = await suite.http.post('/v1/auth/start', body);

    // Assess
    expect(started).toMatchObject({ status: 400, body: { code: 'invalid_request', field } });
    const { body: inbox } = await suite.http.get(`/_local/messages?to=${encodeURIComponent(email)}`);
    expect(inbox.messages).toEqual([]);
  });

  it('refuses a redirectUri on a code sign-in', async () => {
    // Act
    const started = await suite.http.start(uniqueEmail('otp'), { redirectUri: appUrl() });

    // Assess
    expect(started).toMatchObject({ status: 400, body: { field: 'redirectUri' } });
  });

  it('meets the denylist as a code does, and audits the refusal with the device it named', async () => {
    // Prepare
    const email = uniqueEmail('denied');
    await new DynamoDenylistStore(documentClient(), TABLES.denylist, systemClock).deny({
      key: `email#${email}`,
      reason: 'abuse report',
      source: 'operator',
      deniedAt: Date.now(),
    });

    // Act
    const started = await suite.http.start(email, {
      method: 'magic_link',
      redirectUri: appUrl(),
      codeChallenge: binding().codeChallenge,
      device: { name: "Ada's laptop", platform: 'MacIntel' },
    });

    // Assess
    expect(started).toMatchObject({ status: 422, body: { code: 'identifier_rejected' } });
    const { body: inbox } = await suite.http.get(`/_local/messages?to=${encodeURIComponent(email)}`);
    expect(inbox.messages).toEqual([]);
    const secret = suite.runtime.secrets.find('AuditKeySecret')?.value as string;
    const { Items } = await documentClient().send(
      new QueryCommand({
        TableName: TABLES.audit,
        KeyConditionExpression: 'pk = :subject',
        ExpressionAttributeValues: {
          ':subject': await auditSubject(async () => secret, normalizeIdentifier(email)),
        },
      }),
    );
    expect(Items).toEqual([
      expect.objectContaining({ action: 'refused', rule: 'denylist', deviceName: "Ada's laptop" }),
    ]);
  });
});

describe("the link's page", () => {
  it('answers HEAD and GET without consuming anything; the link then still signs in', async () => {
    // Prepare
    const { token, codeVerifier, challengeId } = await requestLink();
    const before = await challengeItem(challengeId);

    // Act
    const head = await page(token, 'HEAD');
    const get = await page(token);
    const again = await page(token);

    // Assess
    expect(head.status).toBe(200);
    expect(head.body).toEqual({});
    expect(get.status).toBe(200);
    expect(again.status).toBe(200);
    expect(await challengeItem(challengeId)).toEqual(before);
    expect((await confirm(token, codeVerifier)).status).toBe(200);
  });

  it('is a static page that continues to the app with the token in the fragment only', async () => {
    // Prepare
    const { token } = await requestLink();

    // Act
    const { status, headers, body } = await page(token);

    // Assess
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
    const html = String(body.text);
    expect(html).not.toMatch(/<script|<form|<meta http-equiv|<iframe|<img/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]?.replaceAll('&amp;', '&'));
    expect(hrefs).toEqual([`${appUrl()}#token=${encodeURIComponent(token)}`]);
    expect(html).toContain('Type the code from the same email where you started');
  });

  it.each([
    ['unknown', async () => `ch_unknownunknownunknown1.${randomBytes(32).toString('base64url')}`],
    ['malformed', async () => 'not-a-token'],
    [
      'used',
      async () => {
        const { token, codeVerifier } = await requestLink();
        expect((await confirm(token, codeVerifier)).status).toBe(200);
        return token;
      },
    ],
  ])('says a %s link no longer works, with 404 and the same page', async (_, tokenOf) => {
    // Act
    const { status, headers, body } = await page(await tokenOf());

    // Assess
    expect(status).toBe(404);
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(String(body.text)).toContain('This sign-in link no longer works');
    expect(String(body.text)).not.toContain('href=');
  });
});

describe('confirming a link', () => {
  it('signs in with the starting browser’s verifier', async () => {
    // Prepare
    const { token, codeVerifier, email } = await requestLink();

    // Act
    const confirmed = await confirm(token, codeVerifier);

    // Assess
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({
      tokenType: 'Bearer',
      user: { id: expect.stringMatching(/^usr_/), identifier: email },
    });
    expect((await suite.http.refresh(confirmed.body.refreshToken)).status).toBe(200);
    const activity = await suite.http.call('GET', '/v1/me/activity', undefined, {
      authorization: `Bearer ${confirmed.body.accessToken}`,
    });
    expect(activity.body.items).toEqual([
      expect.objectContaining({ action: 'signed-in', method: 'magic_link', channel: 'email' }),
    ]);
  });

  it('opens a session of method magic_link on the device the confirmation describes', async () => {
    // Prepare
    const { token, codeVerifier } = await requestLink();
    const device = {
      name: "Ada's laptop",
      platform: 'MacIntel',
      userAgent: 'Mozilla/5.0 (Macintosh) Firefox/140.0',
    };

    // Act
    const confirmed = await confirm(token, codeVerifier, device);

    // Assess
    const userId = String((confirmed.body.user as { id?: string } | undefined)?.id);
    expect(await sessionsOf(userId)).toEqual([
      expect.objectContaining({ method: 'magic_link', deviceId: expect.any(String) }),
    ]);
  });

  it.each([
    ['without a verifier', undefined],
    ['with another browser’s verifier', binding().codeVerifier],
  ])('answers 401 invalid_link %s, issues nothing, and leaves the link usable', async (_, verifier) => {
    // Prepare
    const { token, codeVerifier, challengeId } = await requestLink();
    const before = await challengeItem(challengeId);

    // Act
    const refused = await confirm(token, verifier);

    // Assess
    expect(refused).toMatchObject({ status: 401, body: { code: 'invalid_link' } });
    expect(refused.body).not.toHaveProperty('accessToken');
    expect(await challengeItem(challengeId)).toEqual(before);
    expect((await confirm(token, codeVerifier)).status).toBe(200);
  });

  it('opens one session for twenty parallel confirmations', async () => {
    // Prepare
    const { token, codeVerifier } = await requestLink();

    // Act
    const answers = await Promise.all(Array.from({ length: 20 }, () => confirm(token, codeVerifier)));

    // Assess
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, ...Array(19).fill(401)]);
    const signedIn = answers.find((answer) => answer.status === 200);
    expect((await suite.http.refresh(signedIn?.body.refreshToken)).status).toBe(200);
    expect(await sessionsOf(String((signedIn?.body.user as { id?: string } | undefined)?.id))).toEqual([
      expect.objectContaining({ method: 'magic_link' }),
    ]);
  });

  it('refuses a used link with 401', async () => {
    // Prepare
    const { token, codeVerifier } = await requestLink();
    expect((await confirm(token, codeVerifier)).status).toBe(200);

    // Act
    const again = await confirm(token, codeVerifier);

    // Assess
    expect(again).toMatchObject({ status: 401, body: { code: 'invalid_link' } });
  });

  it('refuses an expired link with 401, and its page says so', async () => {
    // Prepare
    const { token, codeVerifier, challengeId } = await requestLink();
    await documentClient().send(
      new UpdateCommand({
        TableName: TABLES.challenges,
        Key: { pk: challengeId },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Date.now() - 1000 },
      }),
    );

    // Act
    const confirmed = await confirm(token, codeVerifier);

    // Assess
    expect(confirmed).toMatchObject({ status: 401, body: { code: 'invalid_link' } });
    expect((await page(token)).status).toBe(404);
  });

  it('refuses a link whose challenge wrong codes used up', async () => {
    // Prepare
    const { token, codeVerifier, challengeId, message } = await requestLink();
    const wrong = String((Number(codeIn(message)) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++) await suite.http.verify(challengeId, wrong);

    // Act
    const confirmed = await confirm(token, codeVerifier);

    // Assess
    expect(confirmed).toMatchObject({ status: 401, body: { code: 'invalid_link' } });
  });

  it('refuses a token with its secret changed', async () => {
    // Prepare
    const { token, codeVerifier } = await requestLink();
    const forged = `${token.split('.')[0]}.${randomBytes(32).toString('base64url')}`;

    // Act
    const confirmed = await confirm(forged, codeVerifier);

    // Assess
    expect(confirmed).toMatchObject({ status: 401, body: { code: 'invalid_link' } });
    expect((await confirm(token, codeVerifier)).status).toBe(200);
  });

  it('refuses a malformed verifier with 400 naming it', async () => {
    // Prepare
    const { token } = await requestLink();

    // Act
    const confirmed = await confirm(token, 'short');

    // Assess
    expect(confirmed).toMatchObject({ status: 400, body: { field: 'codeVerifier' } });
  });
});

describe('the code beside the link', () => {
  it('signs in where the person started, and the link is used up with it', async () => {
    // Prepare
    const { message, challengeId, token, codeVerifier, email } = await requestLink();

    // Act
    const verified = await suite.http.verify(challengeId, codeIn(message));

    // Assess
    expect(verified).toMatchObject({ status: 200, body: { user: { identifier: email } } });
    expect((await confirm(token, codeVerifier)).status).toBe(401);
  });
});

describe("the local runtime's stand-in app", () => {
  it('is served at the one page its magic links may continue to, and plays the app there', async () => {
    // Act
    const { status, headers, body } = await suite.http.get('/_local/app');

    // Assess
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = String(body.text);
    expect(html).toContain(`data-app="${appUrl()}"`);
    expect(html).toContain("crypto.subtle.digest('SHA-256'");
    expect(html).toContain('/v1/auth/magic-link/verify');
  });
});

describe('resending a magic link', () => {
  it('sends a new link and a new code, and the old link stops working', async () => {
    // Prepare
    const { email, challengeId, token: old, codeVerifier } = await requestLink();
    await documentClient().send(
      new UpdateCommand({
        TableName: TABLES.challenges,
        Key: { pk: challengeId },
        UpdateExpression: 'SET lastSentAt = :long',
        ExpressionAttributeValues: { ':long': Date.now() - 3_600_000 },
      }),
    );

    // Act
    const resent = await suite.http.post('/v1/auth/resend', { challengeId });

    // Assess
    expect(resent).toMatchObject({ status: 202, body: { method: 'magic_link', challengeId } });
    const message = await latestEmail(email);
    const token = tokenIn(message);
    expect(token).not.toBe(old);
    expect((await page(old)).status).toBe(404);
    expect(await confirm(old, codeVerifier)).toMatchObject({ status: 401 });
    expect((await confirm(token, codeVerifier)).status).toBe(200);
  });
});
