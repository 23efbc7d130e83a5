/**
 * What happens to an account, in its audit trail (DynamoDB Local): each action one record with the
 * facts a person or operator needs — which network, device and session, which lock and until when —
 * and never a code, a token or the full identifier. A record that cannot be written changes no answer.
 */
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { DynamoLockStore } from '../../layers/core/src/adapters/index.ts';
import { auditSubject } from '../../layers/core/src/audit.ts';
import type { Config } from '../../layers/core/src/config.ts';
import { InvalidCode, RateLimited } from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type { Source } from '../../layers/core/src/ports.ts';
import { verifyCode } from '../../layers/core/src/sign-in.ts';
import {
  AUDIT_KEY,
  challengeDeps,
  ManualClock,
  openChallenge,
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
