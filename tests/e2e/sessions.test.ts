/**
 * Sessions a person can see and end, over HTTP against `npm start`'s runtime, behind AuthKit's own
 * authorizer: GET /v1/me lists the caller's live sessions, DELETE /v1/sessions/{id} ends one, and
 * an ended session's tokens stop working on the next request.
 */
import { describe, expect, it } from '@jest/globals';
import { uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();

type Tokens = { accessToken: string; refreshToken: string; user: { id: string } };
type Listed = { id: string; current: boolean; method: string; lastSeenAt: string; expiresAt: string };

const bearer = (tokens: Tokens) => ({ authorization: `Bearer ${tokens.accessToken}` });
const signIn = async (email: string) => (await suite.http.signIn(email)).body as unknown as Tokens;
const me = (tokens: Tokens) => suite.http.call('GET', '/v1/me', undefined, bearer(tokens));
const endSession = (tokens: Tokens, id: string) =>
  suite.http.call('DELETE', `/v1/sessions/${id}`, undefined, bearer(tokens));
const sessionsOf = async (tokens: Tokens) => (await me(tokens)).body.sessions as Listed[];
const sessionIdOf = (tokens: Tokens) =>
  JSON.parse(Buffer.from(tokens.accessToken.split('.')[1] as string, 'base64url').toString()).sid as string;

describe('GET /v1/me', () => {
  it("shows the user and each live session, the caller's marked current", async () => {
    const email = uniqueEmail('me');
    const laptop = await signIn(email);
    const phone = await signIn(email);

    const reply = await me(laptop);

    expect(reply.status).toBe(200);
    expect(reply.body.user).toEqual({ id: laptop.user.id, identifier: email });
    const sessions = reply.body.sessions as Listed[];
    expect(sessions.map((session) => session.id).sort()).toEqual(
      [sessionIdOf(laptop), sessionIdOf(phone)].sort(),
    );
    expect(sessions.find((session) => session.current)?.id).toBe(sessionIdOf(laptop));
    expect(sessions[0]).toMatchObject({
      method: 'otp',
      network: expect.stringMatching(/\/24$/),
      createdAt: expect.any(String),
      lastSeenAt: expect.any(String),
      expiresAt: expect.any(String),
    });
  });

  it('names the device a session is bound to', async () => {
    const email = uniqueEmail('me-device');
    const started = await suite.http.start(email);
    const userAgent =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const verified = await suite.http.post(
      '/v1/auth/verify',
      { challengeId: started.body.challengeId, code: await suite.http.latestCode(email) },
      { 'user-agent': userAgent },
    );

    const [session] = await sessionsOf(verified.body as unknown as Tokens);

    expect(session).toMatchObject({
      device: { id: expect.stringMatching(/^dev_/), name: null, browser: 'Chrome', os: 'macOS' },
    });
  });

  it('moves a session’s last seen to its last refresh, under the same id', async () => {
    const tokens = await signIn(uniqueEmail('last-seen'));
    const [before] = await sessionsOf(tokens);
    await new Promise((resolve) => setTimeout(resolve, 20));

    const refreshed = (await suite.http.refresh(tokens.refreshToken)).body as unknown as Tokens;

    const [after] = await sessionsOf(refreshed);
    expect(after?.id).toBe(before?.id);
    expect(Date.parse(after?.lastSeenAt ?? '')).toBeGreaterThan(Date.parse(before?.lastSeenAt ?? ''));
  });

  it('answers 401 problem+json without an access token', async () => {
    const reply = await suite.http.get('/v1/me');
    expect(reply.status).toBe(401);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('DELETE /v1/sessions/{id}', () => {
  it('ends another session of the caller: its access and refresh tokens stop working at once', async () => {
    const email = uniqueEmail('end-other');
    const laptop = await signIn(email);
    const stolen = await signIn(email);

    const ended = await endSession(laptop, sessionIdOf(stolen));

    expect(ended.status).toBe(204);
    expect((await me(stolen)).status).toBe(401);
    expect(await suite.http.refresh(stolen.refreshToken)).toMatchObject({
      status: 401,
      body: { code: 'invalid_grant' },
    });
    expect((await sessionsOf(laptop)).map((session) => session.id)).toEqual([sessionIdOf(laptop)]);
  });

  it('logs out when the session is the current one', async () => {
    const tokens = await signIn(uniqueEmail('end-current'));

    expect((await endSession(tokens, sessionIdOf(tokens))).status).toBe(204);

    expect((await me(tokens)).status).toBe(401);
    expect((await suite.http.refresh(tokens.refreshToken)).status).toBe(401);
  });

  it("never ends someone else's session: 404, and theirs lives on", async () => {
    const mine = await signIn(uniqueEmail('mine'));
    const theirs = await signIn(uniqueEmail('theirs'));

    expect(await endSession(mine, sessionIdOf(theirs))).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });
    expect((await me(theirs)).status).toBe(200);
  });

  it('answers 400 naming the id when it is no session id', async () => {
    const tokens = await signIn(uniqueEmail('bad-id'));
    expect(await endSession(tokens, 'not-a-session')).toMatchObject({
      status: 400,
      body: { code: 'invalid_request', field: 'id' },
    });
  });
});
