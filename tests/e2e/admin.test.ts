/**
 * The operator's command (`npm run admin`), run as a separate process against `npm start`'s
 * runtime (`--url`): it invokes the AdminFunction through the runtime's Lambda Invoke endpoint, as
 * it invokes the stack's function on AWS.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { DynamoDenylistStore } from '../../layers/core/src/adapters/dynamodb/denylist-store.ts';
import { auditSubject } from '../../layers/core/src/audit.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { systemClock } from '../../layers/core/src/system.ts';
import { TABLES, tripBreaker } from '../support/core-fixtures.ts';
import { client } from '../support/http.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();

type Run = { code: number; stdout: string; stderr: string };

/** The command's exit code and output; it never throws. */
const run = async (...args: string[]): Promise<Run> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['scripts/admin.ts', ...args], {
      env: { PATH: process.env.PATH },
    });
    return { code: 0, stdout: stdout.trim(), stderr: stderr.trim() };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout.trim(), stderr: failed.stderr.trim() };
  }
};

/** The command against this suite's runtime. */
const admin = (...args: string[]) => run(...args, '--url', suite.runtime.url);

const refreshes = async (refreshToken: unknown) => (await suite.http.refresh(refreshToken)).status;

/** Blocks the identifier everywhere: ten wrong codes from each of two networks. */
async function lockOut(email: string): Promise<void> {
  for (const address of ['127.0.0.6', '127.0.1.6']) {
    const attacker = client(suite.runtime.url, address);
    for (const _ of [1, 2]) {
      const { challengeId } = (await attacker.start(email)).body;
      for (let i = 0; i < 5; i++) await attacker.verify(challengeId, '000000');
    }
  }
}

const auditTrail = async (raw: string) => {
  const secret = suite.runtime.secrets.find('AuditKeySecret')?.value as string;
  const subject = await auditSubject(async () => secret, normalizeIdentifier(raw));
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: TABLES.audit,
      KeyConditionExpression: 'pk = :subject',
      ExpressionAttributeValues: { ':subject': subject },
    }),
  );
  return Items ?? [];
};

describe('npm run admin -- denylist', () => {
  it('add: refuses new sign-ins and open challenges, ends the sessions, and is audited; remove lifts it', async () => {
    // Prepare
    const email = uniqueEmail('denied');
    const session = await suite.http.signIn(email);
    const open = await suite.http.start(email);

    // Act
    const added = await admin('denylist', 'add', email, '--expires', '7d', '--reason', 'abuse report');

    // Assess
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(
      new RegExp(
        `^${email} denylisted: email#${email}: abuse report, source operator, since \\S+, until \\S+; its sessions ended$`,
      ),
    );
    const [entry] = await new DynamoDenylistStore(documentClient(), TABLES.denylist, systemClock).standing([
      `email#${email}`,
    ]);
    expect(entry?.expiresAt).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
    expect(entry?.expiresAt).toBeLessThan(Date.now() + 7.1 * 86_400_000);
    expect((await suite.http.start(email)).status).toBe(422);
    expect((await suite.http.verify(open.body.challengeId, await suite.http.latestCode(email))).status).toBe(
      422,
    );
    expect(await refreshes(session.body.refreshToken)).toBe(401);
    // The authorizer refuses the ended session's access token at once, not when it expires.
    const me = await suite.http.call('GET', '/v1/me', undefined, {
      authorization: `Bearer ${session.body.accessToken}`,
    });
    expect(me.status).toBe(401);
    expect((await auditTrail(email)).map((record) => [record.action, record.reason ?? record.rule])).toEqual([
      ['signed-in', undefined],
      ['denylist-add', 'abuse report'],
      ['refused', 'denylist'],
    ]);

    // Act
    const removed = await admin('denylist', 'remove', email);
    const again = await admin('denylist', 'remove', email);

    // Assess
    expect(removed.stdout).toMatch(`${email} removed from the denylist (was email#${email}: abuse report`);
    expect(again.stdout).toBe(`${email} had no denylist entry; its lockout lifted`);
    expect((await suite.http.signIn(email)).status).toBe(200);
  });

  it('remove: also lifts an entry written under the address as typed (before keys folded, or by hand)', async () => {
    // Prepare
    const email = `first.last+${Date.now()}@gmail.com`;
    const denylist = new DynamoDenylistStore(documentClient(), TABLES.denylist, systemClock);
    await denylist.deny({
      key: `email#${email}`,
      reason: 'by hand',
      source: 'operator',
      deniedAt: Date.now(),
    });
    expect((await suite.http.start(email)).status).toBe(422);

    // Act
    const removed = await admin('denylist', 'remove', email);

    // Assess
    expect(removed.stdout).toMatch(`(was email#${email}: by hand`);
    expect((await suite.http.start(email)).status).toBe(202);
  });

  it('list: prints every standing entry, one a line; --json gives them to scripts', async () => {
    // Prepare
    const email = uniqueEmail('listed');
    await admin('denylist', 'add', email);

    // Act
    const listed = await admin('denylist', 'list');
    const json = await admin('denylist', 'list', '--json');

    // Assess
    expect(listed.stdout.split('\n')).toContainEqual(
      expect.stringMatching(
        new RegExp(`^email#${email}: operator, source operator, since \\S+, until removed$`),
      ),
    );
    expect(JSON.parse(json.stdout).entries).toContainEqual(
      expect.objectContaining({ key: `email#${email}`, reason: 'operator', source: 'operator' }),
    );
  });

  describe('why', () => {
    it('names a delivery-feedback entry with its reason, source and dates', async () => {
      // Prepare: an entry as the bounce handler writes it
      const email = uniqueEmail('bounced');
      const deniedAt = Date.parse('2026-01-02T03:04:05.000Z');
      await new DynamoDenylistStore(documentClient(), TABLES.denylist, systemClock).deny({
        key: `email#${email}`,
        reason: 'bounce',
        source: 'aws.ses:evt-1/fb-1',
        deniedAt,
        expiresAt: Date.now() + 86_400_000,
      });

      // Act
      const why = await admin('denylist', 'why', email);

      // Assess
      expect(why.code).toBe(0);
      expect(why.stdout).toMatch(
        new RegExp(
          `^${email} is blocked:\\n  denylist: bounce, source aws\\.ses:evt-1/fb-1, since 2026-01-02T03:04:05\\.000Z, until \\S+$`,
        ),
      );
    });

    it('names the lockout of an identifier guessed at from several networks, and remove lifts it', async () => {
      // Prepare
      const email = uniqueEmail('locked');
      await lockOut(email);
      const owner = client(suite.runtime.url, '127.1.0.6');
      expect((await owner.start(email)).status).toBe(429);

      // Act
      const why = await admin('denylist', 'why', email, '--json');

      // Assess
      expect(JSON.parse(why.stdout).blocks).toEqual([
        {
          rule: 'lockout',
          facts: expect.objectContaining({ until: expect.any(String), wrongCodes: 20, networks: 2 }),
        },
      ]);
      await admin('denylist', 'remove', email);
      expect((await admin('denylist', 'why', email)).stdout).toBe(`${email} is not blocked`);
      expect((await owner.signIn(email)).status).toBe(200);
    });

    it.each([
      ['a disposable domain', 'someone@mailinator.com', 'disposable-domain: domain mailinator.com'],
      ['a country SMS may not go to', '+4915112345678', 'sms-country: country DE, allowed US'],
      ['a premium-rate number', '+19005550123', 'number-type: type premium-rate'],
    ])('names %s', async (_, identifier, line) => {
      // Act
      const why = await admin('denylist', 'why', identifier);

      // Assess
      expect(why.stdout.split('\n')).toContain(`  ${line}`);
    });

    it('names a tripped SMS breaker: the number range, since when, until when, on what counts', async () => {
      // Prepare: the send step's trip of one US number range
      const number = '+12025550143';
      const now = Date.now();
      const trip = await tripBreaker(
        { scope: 'prefix', value: '+12025' },
        { trippedAt: now, sends: 140, verified: 3 },
      );

      // Act
      const why = await admin('denylist', 'why', number);

      // Assess
      expect(why.stdout.split('\n')).toContain(
        `  sms-breaker: scope prefix, value +12025, since ${new Date(now).toISOString()}, until ${new Date(trip.until).toISOString()}, sends 140, verified 3`,
      );
      expect(why.stdout).not.toMatch(/scope country/);
    });

    it('says when nothing blocks the identifier', async () => {
      // Prepare
      const email = uniqueEmail('free');

      // Act & Assess
      expect(await admin('denylist', 'why', email)).toMatchObject({
        code: 0,
        stdout: `${email} is not blocked`,
      });
    });
  });
});

describe('npm run admin -- sessions end', () => {
  it('every refresh token of the identifier stops working; a new sign-in works', async () => {
    // Prepare
    const email = uniqueEmail('ended');
    const phone = await suite.http.signIn(email);
    const laptop = await suite.http.signIn(email);
    const bystander = await suite.http.signIn(uniqueEmail('bystander'));

    // Act
    const ended = await admin('sessions', 'end', email);

    // Assess
    expect(ended.stdout).toBe(`${email}: every session ended`);
    expect(await refreshes(phone.body.refreshToken)).toBe(401);
    expect(await refreshes(laptop.body.refreshToken)).toBe(401);
    expect(await refreshes(bystander.body.refreshToken)).toBe(200);
    expect(await refreshes((await suite.http.signIn(email)).body.refreshToken)).toBe(200);
  });
});

describe('bad arguments', () => {
  it.each([
    [['denylist', 'forget', 'a@example.com'], 2, 'unknown command "denylist forget"'],
    [['denylist', 'why'], 2, 'denylist why needs an identifier'],
    [['denylist', 'why', 'not an identifier'], 2, 'identifier: send an email address or a phone number'],
    [['denylist', 'add', 'a@example.com', '--expires', '3x'], 2, '--expires: must be hours or days'],
    [['denylist', 'add', 'a@example.com', '--expires', '4000d'], 2, '--expires: must be hours or days'],
    [['denylist', 'list', '--colour'], 2, "Unknown option '--colour'"],
    [['denylist', 'why', 'a@example.com', '--url', 'http://127.0.0.1:9'], 1, 'http://127.0.0.1:9: '],
  ])('%j exits %i naming what was wrong, in one line', async (args, code, message) => {
    // Act
    const result = await (args.includes('--url') ? run(...args) : admin(...args));

    // Assess
    expect(result).toMatchObject({ code, stdout: '' });
    expect(result.stderr).toContain(message);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("the runtime's Lambda Invoke API", () => {
  const lambda = () =>
    new LambdaClient({
      endpoint: suite.runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  const invoke = (name: string, event: unknown) =>
    lambda().send(
      new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
    );

  it("answers a handler's refusal as Lambda does: Unhandled, with errorType and errorMessage", async () => {
    // Act
    const answer = await invoke('AdminFunction', { command: 'denylist-forget' });

    // Assess
    expect(answer.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(answer.Payload))).toEqual({
      errorType: 'InvalidRequest',
      errorMessage: expect.stringContaining('command: must be one of denylist-add'),
    });
  });

  it('finds a function by its ARN too, and refuses one the template does not have', async () => {
    // Act
    const byArn = await invoke('arn:aws:lambda:us-east-1:123456789012:function:AdminFunction', {
      command: 'denylist-list',
    });
    const missing = invoke('NoSuchFunction', {});

    // Assess
    expect(byArn.FunctionError).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(byArn.Payload))).toMatchObject({ command: 'denylist-list' });
    await expect(missing).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
