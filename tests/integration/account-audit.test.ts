/**
 * What happens to an account, in its audit trail (DynamoDB Local): each action one record with the
 * facts a person or operator needs — which network, device and session, which lock and until when —
 * and never a code, a token or the full identifier. A record that cannot be written changes no answer.
 */
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { DynamoAuditTrail, DynamoLockStore } from '../../layers/core/src/adapters/index.ts';
import {
  auditSubject,
  readActivity,
  recordAccountEvent,
  recordOperatorChange,
  recordRefusal,
} from '../../layers/core/src/audit.ts';
import type { Config } from '../../layers/core/src/config.ts';
import {
  IdentifierRejected,
  InvalidCode,
  InvalidGrant,
  InvalidRequest,
  RateLimited,
  refusedBy,
} from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type { Source } from '../../layers/core/src/ports.ts';
import { completeSignIn, type SignInDeps, verifyCode } from '../../layers/core/src/sign-in.ts';
import { deriveSigningKey } from '../../layers/core/src/signing-key.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import { endSession, refreshSession, type TokenSet } from '../../layers/core/src/tokens.ts';
import {
  AUDIT_KEY,
  accountAudit,
  challengeDeps,
  ManualClock,
  openChallenge,
  RecordingPublisher,
  stores,
  TABLES,
  verifyDeps,
} from '../support/core-fixtures.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';

const MINUTE_MS = 60_000;

/** Addresses in distinct /24 networks. */
const net = (n: number, host = 7): Source => ({ ip: `198.51.${n}.${host}` });

/** The records of `email`'s subject, oldest first, as stored. */
async function trailOf(email: string): Promise<Record<string, unknown>[]> {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: TABLES.audit,
      KeyConditionExpression: 'pk = :subject',
      ExpressionAttributeValues: { ':subject': await auditSubject(AUDIT_KEY, normalizeIdentifier(email)) },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

/** Every item of the audit table holding `text` anywhere (its own or any other spec's). */
async function itemsHolding(text: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await documentClient().send(new ScanCommand({ TableName: TABLES.audit }));
  return Items.filter((item) => JSON.stringify(item).toLowerCase().includes(text.toLowerCase()));
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

let clock: ManualClock;
let email: string;

beforeEach(() => {
  clock = new ManualClock();
  email = uniqueEmail('audited');
});

function verifying(overrides: { lockout?: Partial<Config['lockout']>; auditTable?: string } = {}) {
  const deps = challengeDeps({ clock });
  const checking = verifyDeps(deps, overrides);
  const open = () => openChallenge(deps, email, net(0));
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  return {
    checking,
    open,
    /** `count` wrong codes from `source`, five per challenge, one after another; the codes sent. */
    fail: async (count: number, source: Source, requestId = 'req-wrong') => {
      const codes: string[] = [];
      for (let left = count; left > 0; left -= 5) {
        const challenge = await open();
        codes.push(challenge.code);
        for (let i = 0; i < Math.min(5, left); i++) {
          await expect(
            verifyCode(checking, { ...challenge, code: wrong(challenge.code), source, requestId }),
          ).rejects.toBeInstanceOf(InvalidCode);
        }
      }
      return codes;
    },
  };
}

describe('a lockout block', () => {
  it('is recorded once when it starts, naming the lock, the network and when it ends', async () => {
    // Prepare
    const { fail } = verifying();
    await fail(9, net(1));
    const before = await trailOf(email);

    // Act
    const codes = await fail(1, net(1), 'req-tenth');

    // Assess
    expect(before).toEqual([]);
    expect(await trailOf(email)).toEqual([
      expect.objectContaining({
        action: 'verify-locked',
        lock: 'network',
        network: '198.51.1.0/24',
        until: new Date(clock.now() + 15 * MINUTE_MS).toISOString(),
        channel: 'email',
        identifier: expect.stringContaining('*'),
        requestId: 'req-tenth',
      }),
    ]);
    expect(await itemsHolding(email)).toEqual([]);
    for (const code of codes) expect(await itemsHolding(`"${code}"`)).toEqual([]);
  });

  it("is recorded for each network's block and for the identifier's, though the person is told once of a kind", async () => {
    // Prepare
    const { fail, checking } = verifying();
    await fail(10, net(1));

    // Act
    await fail(10, net(2));

    // Assess
    // One clock: the records share a millisecond, so their order is the UUID's.
    const records = (await trailOf(email)).map(({ action, lock, network }) => `${action} ${lock} ${network}`);
    expect(records.sort()).toEqual([
      'verify-locked identifier 198.51.2.0/24',
      'verify-locked network 198.51.1.0/24',
      'verify-locked network 198.51.2.0/24',
    ]);
    expect(checking.notices.map((notice) => notice.scope)).toEqual(['network', 'identifier']);
  });

  it('is recorded once though 40 wrong codes race for it', async () => {
    // Prepare
    const { open, checking } = verifying();
    const challenges = await Promise.all(Array.from({ length: 8 }, open));

    // Act
    const answers = await Promise.all(
      challenges.flatMap((challenge) =>
        Array.from({ length: 5 }, (_, i) =>
          refusal(
            verifyCode(checking, {
              ...challenge,
              code: String(i).padStart(6, '9'),
              source: net(1),
              requestId: `req-${i}`,
            }),
          ),
        ),
      ),
    );

    // Assess
    expect(answers.filter((answer) => answer instanceof RateLimited)).toHaveLength(30);
    expect((await trailOf(email)).map((record) => record.action)).toEqual(['verify-locked']);
  });

  it('is recorded again when the next block of the same lock starts', async () => {
    // Prepare
    const { fail } = verifying();
    await fail(10, net(1));
    clock.advance(15 * 60);

    // Act
    await fail(10, net(1));

    // Assess
    expect((await trailOf(email)).map((record) => record.until)).toEqual([
      new Date(clock.now()).toISOString(),
      new Date(clock.now() + 30 * MINUTE_MS).toISOString(),
    ]);
  });

  it('answers the wrong code and tells the person when its record cannot be written', async () => {
    // Prepare
    const { fail, checking } = verifying({ auditTable: 'NoTableAtAll' });

    // Act
    await fail(10, net(1));

    // Assess
    expect(checking.notices).toHaveLength(1);
    expect(checking.auditWarnings).toEqual(['ResourceNotFoundException']);
    expect(checking.warnings).toEqual([]);
  });

  it('answers the wrong code and tells the person when the claim of its record cannot be written', async () => {
    // Prepare
    const { open, checking } = verifying();
    const failing = {
      ...checking,
      locks: new (class extends DynamoLockStore {
        override async claimNotice(key: string, until: number, now: number): Promise<boolean> {
          if (key.startsWith('audited')) throw new Error('throttled');
          return super.claimNotice(key, until, now);
        }
      })(documentClient(), TABLES.counters),
    };
    const wrongCodes = async (source: Source, count: number) => {
      for (let left = count; left > 0; left -= 5) {
        const challenge = await open();
        for (let i = 0; i < Math.min(5, left); i++) {
          await refusal(verifyCode(failing, { ...challenge, code: String(i).padStart(6, '9'), source }));
        }
      }
    };

    // Act
    await wrongCodes(net(1), 10);

    // Assess
    expect(checking.notices).toHaveLength(1);
    expect(checking.auditWarnings).toEqual(['Error']);
    expect(await trailOf(email)).toEqual([]);
  });
});

const SIGNING_KEY = await deriveSigningKey('integration-audit-signing-seed-'.padEnd(48, 's'));

/** Everything a sign-in, a refresh and a logout need, on DynamoDB Local. */
function accountDeps(auditTable: string = TABLES.audit) {
  const deps = challengeDeps({ clock });
  const checking = verifyDeps(deps, { auditTable });
  const { users, sessions, devices } = stores();
  const tokens = {
    sessions,
    clock,
    random: systemRandom,
    signingKey: async () => SIGNING_KEY,
    config: {
      issuer: 'https://auth.test',
      audience: 'authkit-test',
      idTokenAudience: 'authkit-test-app',
      accessTtlSeconds: 900,
      refreshIdleSeconds: 7 * 86_400,
      refreshAbsoluteSeconds: 30 * 86_400,
    },
  };
  const signIn: SignInDeps = {
    ...checking,
    users,
    random: systemRandom,
    tokens,
    devices,
    newDevices: { events: new RecordingPublisher(), stack: 'authkit-test', failed: () => undefined },
  };
  return {
    signIn,
    auditWarnings: checking.auditWarnings,
    tokens: { ...tokens, audit: checking.audit },
    /** A fresh challenge for `email` answered with its code from `source`; the tokens and the code. */
    signInFrom: async (source: Source, requestId = 'req-verify') => {
      const challenge = await openChallenge(deps, email, net(0));
      const tokens = await completeSignIn(signIn, { ...challenge, source, device: undefined, requestId });
      return { tokens, code: challenge.code };
    },
  };
}

const sessionOf = (tokens: TokenSet) => decodeJwt(tokens.accessToken).sid as string;

/** Nothing secret in the whole audit table: not the address, a code, a token. */
async function expectNothingSecret(secrets: string[]): Promise<void> {
  for (const secret of secrets) expect([secret, await itemsHolding(secret)]).toEqual([secret, []]);
}

describe('a sign-in', () => {
  it('is recorded with its method, channel, network and session, and nothing secret', async () => {
    // Prepare
    const { signInFrom } = accountDeps();

    // Act
    const { tokens, code } = await signInFrom(net(4), 'req-signed-in');

    // Assess
    expect(await trailOf(email)).toEqual([
      expect.objectContaining({
        action: 'signed-in',
        method: 'otp',
        channel: 'email',
        network: '198.51.4.0/24',
        sessionId: sessionOf(tokens),
        identifier: expect.stringContaining('*'),
        requestId: 'req-signed-in',
      }),
    ]);
    await expectNothingSecret([email, `"${code}"`, tokens.refreshToken, tokens.accessToken, tokens.idToken]);
  });

  it('stands when its record cannot be written: the tokens are answered, the failure counted', async () => {
    // Prepare
    const { signInFrom, auditWarnings } = accountDeps('NoTableAtAll');

    // Act
    const { tokens } = await signInFrom(net(4));

    // Assess
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(auditWarnings).toEqual(['ResourceNotFoundException']);
  });
});

describe('a rotated refresh token presented again', () => {
  it('is recorded once, when it ends the session, with the network it came from', async () => {
    // Prepare
    const { signInFrom, tokens: deps } = accountDeps();
    const { tokens } = await signInFrom(net(4));
    clock.advance(60);
    const rotated = await refreshSession(deps, tokens.refreshToken, { source: net(4), requestId: 'req-1' });
    clock.advance(60);

    // Act
    const replays = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        refusal(refreshSession(deps, tokens.refreshToken, { source: net(6), requestId: `req-replay-${i}` })),
      ),
    );

    // Assess
    expect(replays.every((answer) => answer instanceof InvalidGrant)).toBe(true);
    const reused = (await trailOf(email)).filter((record) => record.action === 'refresh-reused');
    expect(reused).toEqual([
      expect.objectContaining({
        sessionId: sessionOf(tokens),
        network: '198.51.6.0/24',
        requestId: expect.stringMatching(/^req-replay-/),
      }),
    ]);
    await expectNothingSecret([email, tokens.refreshToken, rotated.refreshToken]);
  });

  it('is not recorded when the session had ended before (a replay after logout)', async () => {
    // Prepare
    const { signInFrom, tokens: deps } = accountDeps();
    const { tokens } = await signInFrom(net(4));
    clock.advance(60);
    const rotated = await refreshSession(deps, tokens.refreshToken, { source: net(4), requestId: 'req-1' });
    await endSession(deps, rotated.refreshToken, { source: net(4), requestId: 'req-logout' });
    clock.advance(60);

    // Act
    const replay = refreshSession(deps, tokens.refreshToken, { source: net(6), requestId: 'req-replay' });

    // Assess
    await expect(replay).rejects.toBeInstanceOf(InvalidGrant);
    expect((await trailOf(email)).map((record) => record.action).sort()).toEqual(['logged-out', 'signed-in']);
  });
});

describe('a logout', () => {
  it('is recorded once, by the logout that ended the session', async () => {
    // Prepare
    const { signInFrom, tokens: deps } = accountDeps();
    const { tokens } = await signInFrom(net(4));
    clock.advance(60);

    // Act
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        endSession(deps, tokens.refreshToken, { source: net(7), requestId: `req-logout-${i}` }),
      ),
    );
    await endSession(deps, 'A'.repeat(43), { source: net(7), requestId: 'req-unknown' });

    // Assess
    const loggedOut = (await trailOf(email)).filter((record) => record.action === 'logged-out');
    expect(loggedOut).toEqual([
      expect.objectContaining({ sessionId: sessionOf(tokens), network: '198.51.7.0/24', by: 'user' }),
    ]);
    await expectNothingSecret([email, tokens.refreshToken]);
  });

  it('stands when its record cannot be written', async () => {
    // Prepare
    const { signInFrom, tokens: deps } = accountDeps();
    const { tokens } = await signInFrom(net(4));
    const failing = { ...deps, audit: accountAudit(clock, 'NoTableAtAll') };

    // Act
    await endSession(failing, tokens.refreshToken, { source: net(7), requestId: 'req-logout' });

    // Assess
    await expect(
      refreshSession(deps, tokens.refreshToken, { source: net(7), requestId: 'req-after' }),
    ).rejects.toBeInstanceOf(InvalidGrant);
    expect(failing.audit.auditWarnings).toEqual(['ResourceNotFoundException']);
  });
});

describe("reading one's own trail", () => {
  const trail = { trail: new DynamoAuditTrail(documentClient(), TABLES.audit), auditKey: AUDIT_KEY };
  const read = (of: string, page: { limit: number; cursor?: string }) =>
    readActivity(trail, `email#${of}`, page);

  /** `count` sign-ins of `email`, a minute apart. */
  async function signIns(count: number): Promise<void> {
    const { signInFrom } = accountDeps();
    for (let i = 0; i < count; i++) {
      await signInFrom(net(10 + i));
      clock.advance(60);
    }
  }

  it('pages it newest first, and its last page carries no cursor', async () => {
    // Prepare
    await signIns(5);

    // Act
    const first = await read(email, { limit: 2 });
    const second = await read(email, { limit: 2, cursor: first.nextCursor });
    const last = await read(email, { limit: 2, cursor: second.nextCursor });

    // Assess
    const networks = [first, second, last].flatMap((page) => page.items.map((item) => item.network));
    expect(networks).toEqual([14, 13, 12, 11, 10].map((n) => `198.51.${n}.0/24`));
    expect(last.nextCursor).toBeUndefined();
  });

  it('shows what happened, never a request id or the subject', async () => {
    // Prepare
    await signIns(1);

    // Act
    const { items } = await read(email, { limit: 25 });

    // Assess
    expect(items).toEqual([
      {
        at: new Date(clock.now() - 60_000).toISOString(),
        action: 'signed-in',
        method: 'otp',
        channel: 'email',
        network: '198.51.10.0/24',
        sessionId: expect.stringMatching(/^ses_/),
        identifier: expect.stringContaining('*'),
      },
    ]);
  });

  it.each([
    [
      'a rate limit, with the rule its requester was told',
      new RateLimited(30, 'cooldown'),
      { code: 'rate_limited', rule: 'cooldown' },
    ],
    [
      'the SMS breaker, as the budget its requester was told of, without naming it',
      refusedBy(new RateLimited(30, 'budget'), 'sms-breaker'),
      { code: 'rate_limited' },
    ],
    [
      'a denylisted address, without which list denied it',
      refusedBy(new IdentifierRejected(), 'disposable-domain'),
      { code: 'identifier_rejected' },
    ],
  ])("shows someone else's attempt to sign in as the person refused by %s", async (_, error, shown) => {
    // Prepare
    await recordRefusal(
      { ...accountAudit(clock), count: () => undefined },
      {
        error,
        challengeId: 'ch_stranger',
        identifier: email,
        sourceIp: '203.0.113.9',
        requestId: 'req-stranger',
      },
    );

    // Act
    const { items } = await read(email, { limit: 25 });

    // Assess
    expect(items).toEqual([
      {
        at: expect.any(String),
        action: 'refused',
        ...shown,
        network: '203.0.113.0/24',
        identifier: expect.stringContaining('*'),
      },
    ]);
  });

  it("shows why an account action happened, but never an operator's own words", async () => {
    // Prepare
    const audit = accountAudit(clock);
    await recordOperatorChange(audit, normalizeIdentifier(email), {
      action: 'denylist-add',
      requestId: 'req-operator',
      facts: { reason: 'ticket 4711: chargeback ring', until: '2030-01-01T00:00:00.000Z' },
    });
    clock.advance(1);
    await recordAccountEvent(audit, {
      identifierKey: `email#${email}`,
      action: 'refresh-device-mismatch',
      requestId: 'req-mismatch',
      source: net(8),
      sessionId: 'ses_stolen',
      deviceId: 'dev_laptop',
      facts: { reason: 'another-device', differing: 'platform,screen' },
    });

    // Act
    const { items } = await read(email, { limit: 25 });

    // Assess
    expect(items).toEqual([
      expect.objectContaining({
        action: 'refresh-device-mismatch',
        reason: 'another-device',
        differing: 'platform,screen',
        deviceId: 'dev_laptop',
      }),
      {
        at: expect.any(String),
        action: 'denylist-add',
        by: 'operator',
        until: '2030-01-01T00:00:00.000Z',
        identifier: expect.stringContaining('*'),
      },
    ]);
  });

  it("reads the mailbox's trail, but of its accounts' actions only its own (a+shop@x is another account)", async () => {
    // Prepare
    const plain = uniqueEmail('mailbox');
    const tagged = plain.replace('@', '+shop@');
    email = tagged;
    await signIns(1);
    email = plain;
    await signIns(1);

    // Act
    const [mine, theirs] = await Promise.all([read(plain, { limit: 25 }), read(tagged, { limit: 25 })]);

    // Assess
    expect(mine.items).toHaveLength(1);
    expect(theirs.items).toHaveLength(1);
    expect(mine.items[0]?.sessionId).not.toBe(theirs.items[0]?.sessionId);
    expect(mine.items[0]).not.toHaveProperty('account');
  });

  it("reads nothing of another account's with that account's cursor", async () => {
    // Prepare
    const other = email;
    await signIns(3);
    const theirs = await read(other, { limit: 1 });
    email = uniqueEmail('audited');
    clock.advance(-3600);
    await signIns(2);

    // Act
    const mine = await read(email, { limit: 25, cursor: theirs.nextCursor });

    // Assess: my records older than their cursor's moment, none of theirs
    expect(mine.items).toHaveLength(2);
    expect(mine.items.map((item) => item.sessionId)).not.toContain(theirs.items[0]?.sessionId);
    const theirSessions = (await read(other, { limit: 25 })).items.map((item) => item.sessionId);
    for (const item of mine.items) expect(theirSessions).not.toContain(item.sessionId);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['a bare sort key', '2026-01-01T00:00:00.000Z#00000000-0000-0000-0000-000000000000'],
    ['a base64url of something else', Buffer.from('id#someone-else').toString('base64url')],
  ])('refuses %s as a cursor, naming it', async (_, cursor) => {
    // Act
    const answer = await refusal(read(email, { limit: 25, cursor }));

    // Assess
    expect(answer).toBeInstanceOf(InvalidRequest);
    expect((answer as InvalidRequest).field).toBe('cursor');
  });
});
