/**
 * The lockout protects without excluding: wrong codes block the network they come from for that
 * identifier, an identifier attacked from several networks escalates (captcha, or blocks that grow),
 * nothing is permanent, and a correct code clears the way for its owner.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { DynamoChallengeStore, DynamoLockStore } from '../../layers/core/src/adapters/index.ts';
import type { Config } from '../../layers/core/src/config.ts';
import { InvalidCode, RateLimited } from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { assessLockout, attemptLocks } from '../../layers/core/src/lockout.ts';
import type { Source } from '../../layers/core/src/ports.ts';
import { assessSend } from '../../layers/core/src/screening.ts';
import { verifyCode } from '../../layers/core/src/sign-in.ts';
import {
  challengeDeps,
  ManualClock,
  openChallenge,
  stores,
  TABLES,
  verifyDeps,
} from '../support/core-fixtures.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';

const { locks, counters } = stores();
const MINUTE = 60;
const DAY = 24 * 60 * MINUTE;

/** Addresses in distinct /24 networks; `net(1)` and `net(2)` are different sources. */
const net = (n: number, host = 7): Source => ({ ip: `198.51.${n}.${host}` });

let clock: ManualClock;
let email: string;

beforeEach(() => {
  clock = new ManualClock();
  email = uniqueEmail('lockout');
});

function signIn(lockout: Partial<Config['lockout']> = {}, captcha = false) {
  const deps = challengeDeps({ clock });
  const checking = verifyDeps(deps, { lockout, captcha });
  const open = () => openChallenge(deps, email, net(0));
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  return {
    checking,
    open,
    verify: (challenge: { challengeId: string }, code: string, source: Source) =>
      verifyCode(checking, { challengeId: challenge.challengeId, code, source }),
    /** `count` wrong codes from `source`, five per challenge, one after another. */
    fail: async (count: number, source: Source) => {
      for (let left = count; left > 0; left -= 5) {
        const challenge = await open();
        for (let i = 0; i < Math.min(5, left); i++) {
          await expect(
            verifyCode(checking, { ...challenge, code: wrong(challenge.code), source }),
          ).rejects.toBeInstanceOf(InvalidCode);
        }
      }
    },
    /** The right code of a fresh challenge, from `source`. */
    succeed: async (source: Source) => {
      const challenge = await open();
      return verifyCode(checking, { ...challenge, source });
    },
  };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('+tag variants of one address', () => {
  it('share its lock: of 40 wrong codes sent in parallel across variants, exactly 10 are spent', async () => {
    const deps = challengeDeps({ clock });
    const checking = verifyDeps(deps, {});
    const [name, domain] = email.split('@');
    const challenges = await Promise.all(
      Array.from({ length: 8 }, (_, i) => openChallenge(deps, `${name}+${i % 4}@${domain}`, net(0))),
    );
    const guesses = challenges.flatMap((challenge) =>
      Array.from({ length: 5 }, (_, i) =>
        refusal(verifyCode(checking, { ...challenge, code: String(i).padStart(6, '9'), source: net(1) })),
      ),
    );
    const answers = await Promise.all(guesses);
    expect(answers.filter((answer) => answer instanceof InvalidCode)).toHaveLength(10);
    expect(answers.filter((answer) => answer instanceof RateLimited)).toHaveLength(30);
    const untagged = await openChallenge(deps, email, net(0));
    expect(await refusal(verifyCode(checking, { ...untagged, source: net(1) }))).toBeInstanceOf(RateLimited);
    const start = {
      identifier: normalizeIdentifier(`${name}+new@${domain}`),
      source: net(1),
      now: clock.now(),
    };
    const screening = {
      ...checking,
      counters,
      config: { ...checking.config, rateLimit: deps.config.rateLimit },
    };
    expect(await refusal(assessSend(screening, start))).toBeInstanceOf(RateLimited);
  });
});

describe('a source network that keeps guessing', () => {
  it('is blocked for that identifier after 10 wrong codes, for 15 minutes; other networks sign in', async () => {
    const { fail, succeed, open, verify } = signIn();
    await fail(10, net(1));
    const challenge = await open();
    const blocked = await refusal(verify(challenge, challenge.code, net(1, 99)));
    expect(blocked).toBeInstanceOf(RateLimited);
    expect((blocked as RateLimited).retryAfterSeconds).toBe(15 * MINUTE);
    await expect(succeed(net(2))).resolves.toMatchObject({ identifierKey: `email#${email}` });
  });

  it('spends exactly 10 wrong codes out of 40 sent in parallel', async () => {
    const { open, verify } = signIn();
    const challenges = await Promise.all(Array.from({ length: 8 }, open));
    const guesses = challenges.flatMap((challenge) =>
      Array.from({ length: 5 }, (_, i) => refusal(verify(challenge, String(i).padStart(6, '9'), net(1)))),
    );
    const answers = await Promise.all(guesses);
    expect(answers.filter((answer) => answer instanceof InvalidCode)).toHaveLength(10);
    expect(answers.filter((answer) => answer instanceof RateLimited)).toHaveLength(30);
  });

  it('is blocked for longer each time, never for good, and never blocks the identifier for others', async () => {
    const { fail, succeed, open, verify } = signIn();
    await fail(10, net(1));
    clock.advance(15 * MINUTE);
    await fail(10, net(1));
    const challenge = await open();
    await expect(verify(challenge, challenge.code, net(1))).rejects.toMatchObject({
      retryAfterSeconds: 30 * MINUTE,
    });
    await expect(assessLockout(signIn().checking, `email#${email}`, net(3), clock.now())).resolves.toEqual({
      underAttack: false,
    });
    await expect(succeed(net(3))).resolves.toBeDefined();
    clock.advance(30 * MINUTE);
    await expect(succeed(net(1))).resolves.toBeDefined();
  });

  it('stays blocked after the identifier signs in elsewhere, which clears the identifier and its own network', async () => {
    const { fail, succeed, open, verify } = signIn();
    await fail(9, net(2));
    await fail(10, net(1));
    await succeed(net(2));
    const [identifierLock] = await locks.read([`lock#email#${email}`]);
    expect(identifierLock).toBeUndefined();
    await fail(9, net(2));
    const challenge = await open();
    await expect(verify(challenge, challenge.code, net(1))).rejects.toBeInstanceOf(RateLimited);
  });

  it('starts its count again after a correct code from it', async () => {
    const { fail, succeed } = signIn();
    await fail(9, net(1));
    await succeed(net(1));
    await fail(9, net(1));
    await expect(succeed(net(1))).resolves.toBeDefined();
  });
});

describe('an identifier attacked from several networks', () => {
  it('without captcha, is blocked for everyone for 15 minutes at twice the per-network limit', async () => {
    const { fail, succeed } = signIn();
    await fail(10, net(1));
    await fail(10, net(2));
    await expect(refusal(succeed(net(3)))).resolves.toMatchObject({ retryAfterSeconds: 15 * MINUTE });
    await expect(
      assessLockout(signIn().checking, `email#${email}`, net(3), clock.now()),
    ).rejects.toBeInstanceOf(RateLimited);
    clock.advance(15 * MINUTE);
    await expect(succeed(net(3))).resolves.toBeDefined();
  });

  it('with captcha, asks starts for one there, and blocks for 30 days only at the ceiling', async () => {
    const settings = { sourceFailures: 3, identifierFailureLimit: 12 };
    const { fail, succeed, checking } = signIn(settings, true);
    const assess = () => assessLockout(checking, `email#${email}`, net(9), clock.now());
    await fail(3, net(1));
    clock.advance(15 * MINUTE);
    await fail(3, net(1));
    await expect(assess()).resolves.toEqual({ underAttack: false });
    await fail(3, net(2));
    await expect(assess()).resolves.toEqual({ underAttack: true });
    const start = { identifier: normalizeIdentifier(email), source: net(9), now: clock.now() };
    const { rateLimit } = challengeDeps().config;
    await expect(
      assessSend({ ...checking, counters, config: { ...checking.config, rateLimit } }, start),
    ).resolves.toEqual({
      elevated: true,
    });
    await fail(3, net(3));
    await expect(refusal(succeed(net(4)))).resolves.toMatchObject({ retryAfterSeconds: 30 * DAY });
    clock.advance(30 * DAY);
    await expect(succeed(net(4))).resolves.toBeDefined();
  });
});

describe('the NIST ceiling', () => {
  const settings = { sourceFailures: 3, identifierFailureLimit: 9 };

  it('counts every wrong code, whichever block its network is in, and then blocks the identifier for 30 days', async () => {
    const { fail, succeed } = signIn(settings, true);
    await fail(3, net(1));
    clock.advance(15 * MINUTE);
    await fail(3, net(1));
    clock.advance(30 * MINUTE);
    await fail(3, net(1));
    await expect(refusal(succeed(net(3)))).resolves.toMatchObject({ retryAfterSeconds: 30 * DAY });
  });

  it('counts the wrong codes from a network the identifier signed in from, without closing it', async () => {
    const { fail, succeed } = signIn(settings, true);
    await succeed(net(5));
    for (const wait of [15, 30, 60]) {
      await fail(3, net(5, 66));
      clock.advance(wait * MINUTE);
    }
    await expect(refusal(succeed(net(4)))).resolves.toMatchObject({ retryAfterSeconds: expect.any(Number) });
    await expect(succeed(net(5, 1))).resolves.toBeDefined();
  });

  it('never closes a network where the identifier signed in before', async () => {
    const { fail, succeed } = signIn(settings, true);
    await succeed(net(5));
    for (const n of [1, 2, 3]) await fail(3, net(n));
    await expect(refusal(succeed(net(4)))).resolves.toBeInstanceOf(RateLimited);
    const key = `email#${email}`;
    await expect(
      assessLockout(signIn(settings, true).checking, key, net(5, 200), clock.now()),
    ).resolves.toEqual({
      underAttack: false,
    });
    await expect(succeed(net(5, 200))).resolves.toBeDefined();
  });
});

describe('verify', () => {
  it('refuses a challenge already closed from what it read, attempting no write', async () => {
    const { open, checking } = signIn();
    let attempts = 0;
    const counting = {
      ...checking,
      store: new (class extends DynamoChallengeStore {
        override countAttempt(input: Parameters<DynamoChallengeStore['countAttempt']>[0]) {
          attempts++;
          return super.countAttempt(input);
        }
      })(documentClient(), TABLES.challenges, TABLES.counters),
    };
    const { challengeId, code } = await open();
    await verifyCode(counting, { challengeId, code, source: net(1) });
    await expect(verifyCode(counting, { challengeId, code, source: net(2) })).rejects.toBeInstanceOf(
      InvalidCode,
    );
    expect(attempts).toBe(1);
  });

  it('keeps a sign-in whose lockout could not be cleared afterwards', async () => {
    const { open, checking } = signIn();
    const failing = {
      ...checking,
      locks: new (class extends DynamoLockStore {
        override async clear(): Promise<void> {
          throw new Error('throttled');
        }
      })(documentClient(), TABLES.counters),
    };
    const { challengeId, code } = await open();
    await expect(verifyCode(failing, { challengeId, code, source: net(1) })).resolves.toBeDefined();
    expect(checking.warnings).toEqual(['clearing the lockout']);
  });
});

describe('a network its owner uses', () => {
  it('stays known while it is used: its marker is written again after a month', async () => {
    const { succeed } = signIn();
    const known = `known@198.51.5.0/24#email#${email}`;
    await succeed(net(5));
    const [first] = await locks.read([known]);
    clock.advance(10 * DAY);
    await succeed(net(5));
    await expect(locks.read([known])).resolves.toEqual([first]);
    clock.advance(70 * DAY);
    await succeed(net(5));
    const [refreshed] = await locks.read([known]);
    expect(refreshed?.until).toBe(clock.now() + 90 * DAY * 1000);
  });

  it('is known no longer once its marker has run out, though DynamoDB may not have deleted it yet', async () => {
    const { succeed, checking } = signIn();
    await succeed(net(5));
    clock.advance(91 * DAY);
    const attempt = await attemptLocks(checking, `email#${email}`, net(5), clock.now());
    expect(attempt.knownUntil).toBeUndefined();
  });

  it("still ends the identifier's count with a correct code, writing only what exists", async () => {
    const { fail, succeed } = signIn();
    await succeed(net(5));
    await fail(9, net(1));
    await succeed(net(5, 9));
    const [identifierLock, known] = await locks.read([
      `lock#email#${email}`,
      `known@198.51.5.0/24#email#${email}`,
    ]);
    expect(identifierLock).toBeUndefined();
    expect(known).toBeDefined();
  });
});

describe('the notice', () => {
  it('goes to the person once when a block starts, by the channel of the codes', async () => {
    const { fail, checking } = signIn();
    await fail(9, net(1));
    expect(checking.notices).toEqual([]);
    await fail(1, net(1));
    expect(checking.notices).toEqual([
      { channel: 'email', destination: email, scope: 'network', minutes: 15 },
    ]);
    await fail(9, net(1, 8)).catch(() => undefined);
    expect(checking.notices).toHaveLength(1);
    await fail(10, net(2));
    expect(checking.notices.map((notice) => notice.scope)).toEqual(['network', 'identifier']);
  });
});
