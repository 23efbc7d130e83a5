import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  type ChallengeDeps,
  issueChallenge,
  Lockout,
  resendChallenge,
  verifyCode,
} from '../../layers/core/src/challenge.ts';
import {
  ChallengeClosed,
  IdentifierRejected,
  InvalidCode,
  ProviderUnavailable,
  RateLimited,
} from '../../layers/core/src/errors.ts';
import { type Identifier, normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { enforceRateLimits } from '../../layers/core/src/rate-limits.ts';
import { screenIdentifier } from '../../layers/core/src/screening.ts';
import { generateId } from '../../layers/core/src/secrets.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import { challengeDeps, ManualClock, stores, TABLES } from '../support/core-fixtures.ts';
import { codeIn, documentClient, emailsTo, uniqueEmail } from '../support/stack.ts';

describe('one-time-code challenges in DynamoDB Local', () => {
  let clock: ManualClock;
  let deps: ChallengeDeps;
  let email: string;
  let challengeId: string;

  const issue = () =>
    issueChallenge(deps, { challengeId, identifier: normalizeIdentifier(email), channel: 'email' });
  const latestCode = async () => codeIn((await emailsTo(email)).at(-1)?.body.text);
  const verify = (code: string) => verifyCode(deps, { challengeId, code });
  const stored = async () =>
    (
      await documentClient().send(
        new GetCommand({ TableName: TABLES.challenges, Key: { pk: challengeId }, ConsistentRead: true }),
      )
    ).Item;
  const outcomes = (results: PromiseSettledResult<unknown>[]) => ({
    succeeded: results.filter((r) => r.status === 'fulfilled').length,
    failed: results.filter((r) => r.status === 'rejected').length,
  });

  beforeEach(() => {
    clock = new ManualClock();
    deps = challengeDeps({ clock });
    email = uniqueEmail('challenge');
    challengeId = generateId(systemRandom, 'ch');
  });

  it('stores only an HMAC of the code, never the code itself', async () => {
    await issue();
    const code = await latestCode();
    const item = await stored();
    expect(JSON.stringify(item)).not.toContain(code);
    expect(item?.codeHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts the right code once and then never again', async () => {
    await issue();
    const code = await latestCode();
    await expect(verify(code)).resolves.toMatchObject({ identifierKey: `email#${email}` });
    await expect(verify(code)).rejects.toBeInstanceOf(InvalidCode);
  });

  it('lets exactly one of 50 parallel verifies with the right code succeed', async () => {
    await issue();
    const code = await latestCode();
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => verify(code)));
    expect(outcomes(results)).toEqual({ succeeded: 1, failed: 49 });
    expect((await stored())?.status).toBe('used');
  });

  it('records exactly 5 attempts for 200 parallel wrong guesses, after which the right code fails', async () => {
    await issue();
    const code = await latestCode();
    const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0');
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => verify(wrong(i))));
    expect(outcomes(results).succeeded).toBe(0);
    expect((await stored())?.attempts).toBe(5);
    await expect(verify(code)).rejects.toBeInstanceOf(InvalidCode);
  });

  it('refuses a code after it expires even though the item is still stored (TTL lags)', async () => {
    await issue();
    const code = await latestCode();
    clock.advance(301);
    await expect(verify(code)).rejects.toBeInstanceOf(InvalidCode);
    expect(await stored()).toBeDefined();
  });

  it('answers unknown challenges and malformed codes with the same InvalidCode', async () => {
    await expect(verifyCode(deps, { challengeId: 'ch_unknown', code: '123456' })).rejects.toBeInstanceOf(
      InvalidCode,
    );
    await issue();
    await expect(verify('12ab56')).rejects.toBeInstanceOf(InvalidCode);
    expect((await stored())?.attempts).toBe(0);
  });

  it('spends no attempt when the pepper cannot be read, so the user keeps every guess', async () => {
    await issue();
    const code = await latestCode();
    const unreadable = { ...deps, pepper: () => Promise.reject(new Error('Secrets Manager unreachable')) };
    await expect(verifyCode(unreadable, { challengeId, code })).rejects.toThrow('unreachable');
    expect((await stored())?.attempts).toBe(0);
    await expect(verify(code)).resolves.toMatchObject({ identifierKey: `email#${email}` });
  });

  it('sends once when the send step is retried with the same challenge id', async () => {
    const first = await issue();
    const retried = await issue();
    expect(retried).toEqual(first);
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it('gives the claim back when the provider fails, so the retry delivers', async () => {
    let failures = 1;
    const real = deps.mailer;
    deps = challengeDeps({
      clock,
      mailer: {
        send: (message) =>
          failures-- > 0 ? Promise.reject(new ProviderUnavailable('SES 503')) : real.send(message),
      },
    });
    await expect(issue()).rejects.toBeInstanceOf(ProviderUnavailable);
    expect((await stored())?.sends).toBe(0);
    await issue();
    expect(await emailsTo(email)).toHaveLength(1);
    await expect(verify(await latestCode())).resolves.toBeDefined();
  });

  describe('resend', () => {
    it('waits out the 30 s cool-down, then replaces the code', async () => {
      await issue();
      const oldCode = await latestCode();
      const early = await resendChallenge(deps, { challengeId }).catch((error: unknown) => error);
      expect(early).toBeInstanceOf(RateLimited);
      expect((early as RateLimited).retryAfterSeconds).toBe(30);

      clock.advance(30);
      await resendChallenge(deps, { challengeId });
      const newCode = await latestCode();
      await expect(verify(oldCode === newCode ? '000000' : oldCode)).rejects.toBeInstanceOf(InvalidCode);
      await expect(verify(newCode)).resolves.toBeDefined();
    });

    it('keeps the attempts already spent', async () => {
      await issue();
      await Promise.allSettled([verify('000000'), verify('000001'), verify('000002')]);
      clock.advance(30);
      await resendChallenge(deps, { challengeId });
      expect((await stored())?.attempts).toBe(3);
    });

    it('stops at 5 sends per challenge', async () => {
      await issue();
      for (let send = 2; send <= 5; send++) {
        clock.advance(30);
        await resendChallenge(deps, { challengeId });
      }
      clock.advance(30);
      await expect(resendChallenge(deps, { challengeId })).rejects.toBeInstanceOf(RateLimited);
      expect(await emailsTo(email)).toHaveLength(5);
    });

    it('lets one of 10 parallel resends through', async () => {
      await issue();
      clock.advance(30);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => resendChallenge(deps, { challengeId })),
      );
      expect(outcomes(results)).toEqual({ succeeded: 1, failed: 9 });
      expect(await emailsTo(email)).toHaveLength(2);
    });

    it('spends the identifier budget like a send, and refuses once it is spent, keeping the old code', async () => {
      const { counters } = stores();
      const screen = (identifier: Identifier) =>
        enforceRateLimits(
          {
            counters,
            config: {
              windowSeconds: 3600,
              perIdentifier: 2,
              perIp: 1e6,
              perNetwork: 1e6,
              perPhonePrefix: 1e6,
              perCountry: 1e6,
              global: 1e9,
              perAsn: 1e6,
              asnHeader: '',
            },
          },
          { identifier, sourceIp: undefined, now: clock.now() },
        );
      await issue();
      clock.advance(30);
      await resendChallenge(deps, { challengeId, screen });
      clock.advance(30);
      await resendChallenge(deps, { challengeId, screen });
      clock.advance(30);
      const refused = await resendChallenge(deps, { challengeId, screen }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RateLimited);
      expect(await emailsTo(email)).toHaveLength(3);
      await expect(verify(await latestCode())).resolves.toBeDefined();
    });

    it('refuses a denylisted identifier before anything is claimed or sent', async () => {
      const { denylist } = stores();
      await issue();
      const code = await latestCode();
      await documentClient().send(
        new PutCommand({ TableName: TABLES.denylist, Item: { pk: `email#${email}` } }),
      );
      clock.advance(30);
      const screen = (identifier: Identifier) =>
        screenIdentifier({ denylist: denylist(clock), smsCountries: new Set(['US']) }, identifier);
      await expect(resendChallenge(deps, { challengeId, screen })).rejects.toBeInstanceOf(IdentifierRejected);
      expect(await emailsTo(email)).toHaveLength(1);
      expect((await stored())?.sends).toBe(1);
      await expect(verify(code)).resolves.toBeDefined();
    });

    it('does not spend the budget while the cool-down refuses anyway', async () => {
      let screened = 0;
      await issue();
      const screen = async () => {
        screened++;
      };
      await expect(resendChallenge(deps, { challengeId, screen })).rejects.toBeInstanceOf(RateLimited);
      expect(screened).toBe(0);
    });

    it('refuses used, locked and unknown challenges', async () => {
      await expect(resendChallenge(deps, { challengeId: 'ch_unknown' })).rejects.toBeInstanceOf(
        ChallengeClosed,
      );
      await issue();
      await verify(await latestCode());
      clock.advance(30);
      await expect(resendChallenge(deps, { challengeId })).rejects.toBeInstanceOf(ChallengeClosed);
    });
  });

  describe('identifier lockout', () => {
    const LIMIT = 10;
    const lockoutFor = () => {
      const { users, denylist } = stores();
      return { users, denylist: denylist(clock), lockout: new Lockout(users, denylist(clock), LIMIT) };
    };
    const wrong = (code: string) => (code === '000000' ? '000001' : '000000');
    const failOnce = async (lockout: Lockout) => {
      challengeId = generateId(systemRandom, 'ch');
      await issue();
      await expect(
        verifyCode({ ...deps, lockout }, { challengeId, code: wrong(await latestCode()) }),
      ).rejects.toBeInstanceOf(InvalidCode);
    };

    it(`denylists an identifier after ${LIMIT} wrong codes in a row, across challenges`, async () => {
      const { denylist, lockout } = lockoutFor();
      for (let i = 0; i < LIMIT - 1; i++) await failOnce(lockout);
      await expect(denylist.findDenied([`email#${email}`])).resolves.toBeUndefined();
      await failOnce(lockout);
      await expect(denylist.findDenied([`email#${email}`])).resolves.toBe(`email#${email}`);
      const screen = (identifier: Identifier) =>
        screenIdentifier({ denylist, smsCountries: new Set(['US']) }, identifier);
      await expect(screen(normalizeIdentifier(email))).rejects.toBeInstanceOf(IdentifierRejected);
    });

    it('counts every one of many parallel wrong codes', async () => {
      const { users } = lockoutFor();
      const key = `email#${email}`;
      await Promise.all(Array.from({ length: 25 }, () => users.recordFailure(key, clock.now())));
      await expect(users.recordFailure(key, clock.now())).resolves.toBe(26);
    });

    it('starts the count again after a successful sign-in', async () => {
      const { users, denylist, lockout } = lockoutFor();
      for (let i = 0; i < LIMIT - 1; i++) await failOnce(lockout);
      await users.recordLogin(`email#${email}`, 'usr_x', clock.now());
      await failOnce(lockout);
      await expect(denylist.findDenied([`email#${email}`])).resolves.toBeUndefined();
    });
  });
});
