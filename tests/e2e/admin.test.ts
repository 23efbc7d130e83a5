/**
 * The operator's commands (`npm run admin`), run as a separate process against the tables the local
 * runtime uses, exactly as against a deployed stack.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { TABLES } from '../support/core-fixtures.ts';
import { client } from '../support/http.ts';
import { documentClient, dynamodbEndpoint, uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();

const admin = async (...args: string[]) => {
  const { stdout } = await promisify(execFile)(process.execPath, ['scripts/admin.ts', ...args], {
    env: {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint(),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      DENYLIST_TABLE: TABLES.denylist,
      SESSIONS_TABLE: TABLES.sessions,
      COUNTERS_TABLE: TABLES.counters,
    },
  });
  return stdout.trim();
};

const refreshes = async (refreshToken: unknown) => (await suite.http.refresh(refreshToken)).status;

describe('npm run admin', () => {
  it('end-sessions: every refresh token of the identifier stops working; a new sign-in works', async () => {
    const email = uniqueEmail('ended');
    const phone = await suite.http.signIn(email);
    const laptop = await suite.http.signIn(email);
    const bystander = await suite.http.signIn(uniqueEmail('bystander'));
    await expect(admin('end-sessions', email)).resolves.toBe(`${email}: every session ended`);
    expect(await refreshes(phone.body.refreshToken)).toBe(401);
    expect(await refreshes(laptop.body.refreshToken)).toBe(401);
    expect(await refreshes(bystander.body.refreshToken)).toBe(200);
    expect(await refreshes((await suite.http.signIn(email)).body.refreshToken)).toBe(200);
  });

  it('deny: refuses new sign-ins and open challenges, and ends the sessions; allow lifts it', async () => {
    const email = uniqueEmail('denied');
    const session = await suite.http.signIn(email);
    const open = await suite.http.start(email);
    await admin('deny', email, '--days', '7', '--reason', 'abuse report');
    const { Item } = await documentClient().send(
      new GetCommand({ TableName: TABLES.denylist, Key: { pk: `email#${email}` } }),
    );
    expect(Item).toMatchObject({ reason: 'abuse report' });
    expect(Item?.expiresAt).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
    expect(Item?.expiresAt).toBeLessThan(Date.now() + 7.1 * 86_400_000);
    expect((await suite.http.start(email)).status).toBe(422);
    expect((await suite.http.verify(open.body.challengeId, await suite.http.latestCode(email))).status).toBe(
      422,
    );
    expect(await refreshes(session.body.refreshToken)).toBe(401);
    await admin('allow', email);
    expect((await suite.http.signIn(email)).status).toBe(200);
  });

  it('allow: lifts the block of an identifier guessed at from several networks', async () => {
    const email = uniqueEmail('unblocked');
    for (const address of ['127.0.0.6', '127.0.1.6']) {
      const attacker = client(suite.runtime.url, address);
      for (const _ of [1, 2]) {
        const { challengeId } = (await attacker.start(email)).body;
        for (let i = 0; i < 5; i++) await attacker.verify(challengeId, '000000');
      }
    }
    const owner = client(suite.runtime.url, '127.1.0.6');
    expect((await owner.start(email)).status).toBe(429);
    await admin('allow', email);
    expect((await owner.signIn(email)).status).toBe(200);
  });

  it('refuses what it cannot do, naming why', async () => {
    await expect(admin('forget', 'a@example.com')).rejects.toMatchObject({
      stderr: expect.stringContaining('usage'),
    });
    await expect(admin('deny', 'not an identifier')).rejects.toMatchObject({
      stderr: expect.stringContaining('identifier'),
    });
    await expect(admin('deny', 'a@example.com', '--days', '0')).rejects.toMatchObject({
      stderr: expect.stringContaining('--days'),
    });
  });
});
