/**
 * Protected routes through `npm start`'s runtime, behind AuthKit's own authorizer as template.yaml
 * declares it: a valid access token opens GET /v1/me; every other credential gets API Gateway's 401
 * (problem+json with a Bearer challenge — the challenge tells it from a route's own 401); and a
 * session's access tokens stop on the very next request after the session ends.
 */

import { createPublicKey } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { hashToken } from '../../layers/core/src/secrets.ts';
import { deriveKeyRing, type KeyRing } from '../../layers/core/src/signing-key.ts';
import { TABLES } from '../support/core-fixtures.ts';
import type { Reply } from '../support/http.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();

type Tokens = { accessToken: string; refreshToken: string; idToken: string };

async function signedIn(label: string): Promise<Tokens> {
  const { status, body } = await suite.http.signIn(uniqueEmail(label));
  expect(status).toBe(200);
  return body as unknown as Tokens;
}

const get = (path: string, authorization?: string): Promise<Reply> =>
  suite.http.call('GET', path, undefined, authorization === undefined ? {} : { authorization });
const me = (authorization?: string): Promise<Reply> => get('/v1/me', authorization);
const bearer = (token: string) => `Bearer ${token}`;

/** The ring the runtime's functions derive from its signing-key secret: what a forger would need. */
async function ring(): Promise<KeyRing> {
  const seed = suite.runtime.secrets.find('SigningKeySecret')?.value;
  if (!seed) throw new Error('the runtime has no SigningKeySecret');
  return deriveKeyRing({ seed, generation: 1 });
}

/** `token`'s claims re-signed by AuthKit's own current key, with `claims` changed. */
async function resigned(
  token: string,
  claims: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  const { current } = await ring();
  return new SignJWT({ ...decodeJwt(token), ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: 'at+jwt', ...header })
    .sign(current.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function expectGatewayUnauthorized(reply: Reply): void {
  expect({
    status: reply.status,
    contentType: reply.headers.get('content-type'),
    challenge: reply.headers.get('www-authenticate'),
    body: reply.body,
  }).toEqual({
    status: 401,
    contentType: 'application/problem+json',
    challenge: 'Bearer',
    body: {
      type: 'urn:authkit:problem:unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'A valid access token is required.',
      code: 'unauthorized',
      requestId: reply.headers.get('x-request-id'),
    },
  });
}

describe('a protected route', () => {
  it('opens to a valid access token, with the caller the token stands for', async () => {
    // Prepare
    const tokens = await signedIn('me');

    // Act
    const reply = await me(bearer(tokens.accessToken));

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      user: { id: decodeJwt(tokens.accessToken).sub },
      sessions: [{ id: decodeJwt(tokens.accessToken).sid, current: true }],
    });
  });

  it('opens to a token that expired within the 30 s clock skew', async () => {
    // Prepare
    const { accessToken } = await signedIn('skew');
    const token = await resigned(accessToken, { iat: now() - 600, exp: now() - 20 });

    // Act & Assess
    expect((await me(bearer(token))).status).toBe(200);
  });

  const refusals: [string, (tokens: Tokens) => Promise<string | undefined>][] = [
    ['no Authorization header', async () => undefined],
    ['garbage', async () => 'Bearer garbage'],
    ['a token without the Bearer scheme', async ({ accessToken }) => accessToken],
    ['an ID token', async ({ idToken }) => bearer(idToken)],
    ['a refresh token', async ({ refreshToken }) => bearer(refreshToken)],
    [
      'alg none',
      async ({ accessToken }) => {
        const header = { ...decodeProtectedHeader(accessToken), alg: 'none' };
        return bearer(`${b64(header)}.${accessToken.split('.')[1]}.`);
      },
    ],
    [
      'HS256 keyed with the public key',
      async ({ accessToken }) => {
        const { current } = await ring();
        const pem = createPublicKey({ key: { ...current.publicJwk }, format: 'jwk' }).export({
          type: 'spki',
          format: 'pem',
        });
        const token = await new SignJWT(decodeJwt(accessToken))
          .setProtectedHeader({ alg: 'HS256', kid: current.kid, typ: 'at+jwt' })
          .sign(new TextEncoder().encode(String(pem)));
        return bearer(token);
      },
    ],
    [
      'an edited payload',
      async ({ accessToken }) => {
        const [header, payload, signature] = accessToken.split('.');
        const edited = { ...decodeJwt(`${header}.${payload}.${signature}`), sub: 'usr_someoneelseentirely1' };
        return bearer(`${header}.${b64(edited)}.${signature}`);
      },
    ],
    [
      'an unknown kid',
      async ({ accessToken }) => bearer(await resigned(accessToken, {}, { kid: 'not-a-kid' })),
    ],
    [
      'an embedded jwk (an attacker key, and the key in the header)',
      async ({ accessToken }) => {
        const attacker = await generateKeyPair('ES256', { extractable: true });
        const { current } = await ring();
        const token = await new SignJWT(decodeJwt(accessToken))
          .setProtectedHeader({
            alg: 'ES256',
            typ: 'at+jwt',
            kid: current.kid,
            jwk: await exportJWK(attacker.publicKey),
          })
          .sign(attacker.privateKey);
        return bearer(token);
      },
    ],
    [
      'a token expired past the 30 s skew',
      async ({ accessToken }) => bearer(await resigned(accessToken, { iat: now() - 600, exp: now() - 31 })),
    ],
    [
      'a token not valid yet',
      async ({ accessToken }) => bearer(await resigned(accessToken, { nbf: now() + 60 })),
    ],
    [
      'a wrong iss',
      async ({ accessToken }) => bearer(await resigned(accessToken, { iss: 'https://evil.test' })),
    ],
    ['a wrong aud', async ({ accessToken }) => bearer(await resigned(accessToken, { aud: 'authkit-app' }))],
  ];

  it.each(refusals)(
    'answers 401 problem+json to %s, on GET /v1/me and GET /v1/devices',
    async (_, authorization) => {
      // Prepare
      const tokens = await signedIn('refused');
      const header = await authorization(tokens);

      // Act
      const replies = await Promise.all(['/v1/me', '/v1/devices'].map((path) => get(path, header)));

      // Assess
      for (const reply of replies) expectGatewayUnauthorized(reply);
    },
  );

  it('opens GET /v1/devices to a valid access token', async () => {
    const tokens = await signedIn('devices');
    expect((await get('/v1/devices', bearer(tokens.accessToken))).status).toBe(200);
  });
});

describe('the access token of a session that ended', () => {
  it('gets 401 on the next request after logout, and so does its refresh token', async () => {
    // Prepare
    const tokens = await signedIn('logout');
    expect((await me(bearer(tokens.accessToken))).status).toBe(200);

    // Act
    const loggedOut = await suite.http.post('/v1/auth/logout', { refreshToken: tokens.refreshToken });

    // Assess
    expect(loggedOut.status).toBe(204);
    expectGatewayUnauthorized(await me(bearer(tokens.accessToken)));
    const refreshed = await suite.http.refresh(tokens.refreshToken);
    expect({ status: refreshed.status, code: refreshed.body.code }).toEqual({
      status: 401,
      code: 'invalid_grant',
    });
  });

  it('is refused on the request right after DELETE /v1/sessions/{id} ended it, with no wait', async () => {
    // Prepare: two sessions of one person; the first ends the second.
    const email = uniqueEmail('revoke');
    const first = (await suite.http.signIn(email)).body as unknown as Tokens;
    const second = (await suite.http.signIn(email)).body as unknown as Tokens;
    expect((await me(bearer(second.accessToken))).status).toBe(200);

    // Act
    const ended = await suite.http.call(
      'DELETE',
      `/v1/sessions/${decodeJwt(second.accessToken).sid}`,
      undefined,
      { authorization: bearer(first.accessToken) },
    );
    const next = await me(bearer(second.accessToken));

    // Assess
    expect(ended.status).toBe(204);
    expectGatewayUnauthorized(next);
    expect((await me(bearer(first.accessToken))).status).toBe(200);
  });

  it('is refused on the request right after its refresh token was reused, old and new access tokens alike', async () => {
    // Prepare
    const tokens = await signedIn('reuse');
    const rotated = (await suite.http.refresh(tokens.refreshToken)).body as unknown as Tokens;
    expect((await me(bearer(rotated.accessToken))).status).toBe(200);

    // The spent token was rotated a minute ago: past the grace two tabs refreshing at once get.
    await documentClient().send(
      new UpdateCommand({
        TableName: TABLES.sessions,
        Key: { pk: `refresh#${hashToken(tokens.refreshToken)}` },
        UpdateExpression: 'SET rotatedAt = :minuteAgo',
        ExpressionAttributeValues: { ':minuteAgo': Date.now() - 60_000 },
      }),
    );

    // Act: the spent refresh token again ends the session.
    const reused = await suite.http.refresh(tokens.refreshToken);
    const replies = await Promise.all([me(bearer(tokens.accessToken)), me(bearer(rotated.accessToken))]);

    // Assess
    expect(reused.status).toBe(401);
    for (const reply of replies) expectGatewayUnauthorized(reply);
  });
});
