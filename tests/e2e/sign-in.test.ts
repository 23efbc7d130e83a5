/** Sign-in over HTTP against `npm start`'s runtime: the flows README.md's "API" section specifies. */
import { describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();

describe('signing in with a one-time code', () => {
  it('signs a new user in by email: start, read the code, verify', async () => {
    const started = await suite.http.start('ada@example.com');
    expect(started.status).toBe(202);
    expect(started.body).toEqual({
      challengeId: expect.stringMatching(/^ch_/),
      channel: 'email',
      method: 'otp',
      destination: 'a***@e******.com',
      expiresAt: expect.any(String),
      resendAvailableAt: expect.any(String),
      codeLength: 6,
    });

    const verified = await suite.http.verify(
      started.body.challengeId,
      await suite.http.latestCode('ada@example.com'),
    );
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { id: expect.stringMatching(/^usr_/), identifier: 'ada@example.com' },
    });
  });

  it('signs a new user in by SMS with +14155550123', async () => {
    const started = await suite.http.start('+1 (415) 555-0123');
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ channel: 'sms', destination: '+1********23' });
    const verified = await suite.http.verify(
      started.body.challengeId,
      await suite.http.latestCode('+14155550123'),
    );
    expect(verified.status).toBe(200);
    expect(verified.body.user).toMatchObject({ identifier: '+14155550123' });
  });

  it('issues ES256 tokens that verify against the published JWKS, with the claims pinned', async () => {
    const { body } = await suite.http.signIn(uniqueEmail('jwt'));
    const jwks = createRemoteJWKSet(new URL(`${suite.runtime.url}/.well-known/jwks.json`));
    const options = { issuer: suite.runtime.url, audience: 'authkit', algorithms: ['ES256'] };
    const access = await jwtVerify(String(body.accessToken), jwks, options);
    const id = await jwtVerify(String(body.idToken), jwks, { ...options, audience: 'authkit-app' });
    expect(decodeProtectedHeader(String(body.accessToken))).toMatchObject({
      alg: 'ES256',
      kid: expect.any(String),
    });
    expect(access.payload).toMatchObject({
      sub: (body.user as { id: string }).id,
      sid: expect.any(String),
      jti: expect.any(String),
    });
    expect((access.payload.exp ?? 0) - (access.payload.iat ?? 0)).toBe(900);
    expect(id.payload).toMatchObject({
      email: (body.user as { identifier: string }).identifier,
      email_verified: true,
    });
    expect(String(body.refreshToken)).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  });

  it('issues an ID token that a resource server checking aud refuses as an access token', async () => {
    const { body } = await suite.http.signIn(uniqueEmail('aud'));
    const jwks = createRemoteJWKSet(new URL(`${suite.runtime.url}/.well-known/jwks.json`));
    const resourceServer = { issuer: suite.runtime.url, audience: 'authkit', algorithms: ['ES256'] };
    await expect(jwtVerify(String(body.idToken), jwks, resourceServer)).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    });
    await expect(jwtVerify(String(body.accessToken), jwks, resourceServer)).resolves.toBeDefined();
  });

  it('publishes the signing key and the next one in JWKS', async () => {
    const { body } = await suite.http.signIn(uniqueEmail('jwks'));
    const jwks = await suite.http.get('/.well-known/jwks.json');
    const kids = (jwks.body.keys as { kid: string }[]).map((key) => key.kid);
    expect(kids).toHaveLength(2);
    expect(kids[0]).toBe(decodeProtectedHeader(String(body.accessToken)).kid);
  });

  it('signs the same user in again with the same user id', async () => {
    const email = uniqueEmail('returning');
    const first = await suite.http.signIn(email);
    const second = await suite.http.signIn(email);
    expect((second.body.user as { id: string }).id).toBe((first.body.user as { id: string }).id);
  });

  it('treats the case of an email address as the same user (and the same rate-limit budget)', async () => {
    const email = uniqueEmail('casefold');
    const shouting = email.toUpperCase();
    const first = await suite.http.signIn(shouting);
    const second = await suite.http.signIn(email);
    expect((second.body.user as { id: string }).id).toBe((first.body.user as { id: string }).id);
  });

  it('lets exactly one of 50 parallel correct verifies through', async () => {
    const email = uniqueEmail('race');
    const started = await suite.http.start(email);
    const code = await suite.http.latestCode(email);
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => suite.http.verify(started.body.challengeId, code)),
    );
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(1);
    expect(replies.filter((reply) => reply.status === 401)).toHaveLength(49);
  });

  it('answers every failed verify with the same body', async () => {
    const email = uniqueEmail('same');
    const started = await suite.http.start(email);
    const code = await suite.http.latestCode(email);
    const wrong = await suite.http.verify(started.body.challengeId, code === '000000' ? '000001' : '000000');
    const unknown = await suite.http.verify('ch_doesnotexist', '123456');
    await suite.http.verify(started.body.challengeId, code);
    const used = await suite.http.verify(started.body.challengeId, code);
    const replies = [wrong, unknown, used];
    for (const reply of replies) expect(reply.status).toBe(401);
    // Each names its own request; nothing else tells them apart.
    const requestIds = replies.map((reply) => reply.body.requestId);
    expect(new Set(requestIds).size).toBe(3);
    for (const id of requestIds) expect(id).toEqual(expect.any(String));
    const withoutRequestId = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
    expect(withoutRequestId(unknown.body)).toEqual(withoutRequestId(wrong.body));
    expect(withoutRequestId(used.body)).toEqual(withoutRequestId(wrong.body));
  });

  it('answers start the same way for known and unknown identifiers', async () => {
    const known = uniqueEmail('known');
    await suite.http.signIn(known);
    const forKnown = await suite.http.start(known);
    const forUnknown = await suite.http.start(uniqueEmail('unknown'));
    expect(forKnown.status).toBe(forUnknown.status);
    expect(Object.keys(forKnown.body).sort()).toEqual(Object.keys(forUnknown.body).sort());
  });
});

describe('refresh tokens', () => {
  it('rotate on every use; a used refresh token is rejected', async () => {
    const { body } = await suite.http.signIn(uniqueEmail('refresh'));
    const rotated = await suite.http.refresh(body.refreshToken);
    expect(rotated.status).toBe(200);
    expect(rotated.body.refreshToken).not.toBe(body.refreshToken);
    expect(rotated.body.user).toEqual(body.user);

    const replay = await suite.http.refresh(body.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_grant');
    expect((await suite.http.refresh(rotated.body.refreshToken)).status).toBe(200);
  });

  it('stop working after logout', async () => {
    const { body } = await suite.http.signIn(uniqueEmail('logout'));
    const logout = await suite.http.post('/v1/auth/logout', { refreshToken: body.refreshToken });
    expect(logout.status).toBe(204);
    expect((await suite.http.refresh(body.refreshToken)).status).toBe(401);
  });
});

describe('resend and rate limits', () => {
  it('refuses a resend inside the 30 s cool-down with 429 and Retry-After up to resendAvailableAt', async () => {
    // Prepare: the bounds come from when each request left and its answer arrived, so however
    // slow the machine, a Retry-After that points anywhere but resendAvailableAt fails.
    const startSent = Date.now();
    const started = await suite.http.start(uniqueEmail('resend'));
    const startAnswered = Date.now();
    const availableAt = Date.parse(String(started.body.resendAvailableAt));

    // Act
    const resendSent = Date.now();
    const resend = await suite.http.post('/v1/auth/resend', { challengeId: started.body.challengeId });
    const resendAnswered = Date.now();

    // Assess
    expect(availableAt).toBeGreaterThanOrEqual(startSent + 30_000);
    expect(availableAt).toBeLessThanOrEqual(startAnswered + 30_000);
    expect(resend.status).toBe(429);
    expect(resend.body.code).toBe('rate_limited');
    const retryAfterMs = Number(resend.headers.get('retry-after')) * 1000;
    expect(retryAfterMs).toBeGreaterThanOrEqual(availableAt - resendAnswered);
    expect(retryAfterMs).toBeLessThan(availableAt - resendSent + 1000);
  });

  it('answers 429 rate_limited with Retry-After once an identifier has started 10 sign-ins this hour', async () => {
    const email = uniqueEmail('limit');
    for (let i = 0; i < 10; i++) expect((await suite.http.start(email)).status).toBe(202);
    const limited = await suite.http.start(email);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.stringify(limited.body)).not.toMatch(/arn:|stateMachine|errorType/);
  });

  it('answers 422 identifier_rejected for disposable addresses', async () => {
    const rejected = await suite.http.start('someone@mailinator.com');
    expect(rejected.status).toBe(422);
    expect(rejected.body.code).toBe('identifier_rejected');
  });
});

describe('operations', () => {
  it.each(['/health', '/health/live', '/health/ready'])('reports %s as healthy', async (path) => {
    const reply = await suite.http.get(path);
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe('ok');
  });

  it('shows sent messages in the local inbox page, escaped', async () => {
    const email = uniqueEmail('inbox');
    await suite.http.start(email);
    const page = await fetch(`${suite.runtime.url}/_local/?to=${encodeURIComponent(email)}`);
    const html = await page.text();
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(html).toContain(email);
    expect(html).toContain('Your AuthKit sign-in code');
    expect(html).not.toContain('<p style="font-size:28px');
  });
});
