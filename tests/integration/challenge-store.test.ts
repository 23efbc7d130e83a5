import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { type ChallengeDeps, sendChallenge } from '../../layers/core/src/challenge.ts';
import {
  ChallengeClosed,
  IdentifierRejected,
  InvalidCode,
  ProviderUnavailable,
  RateLimited,
} from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { budgetsFor } from '../../layers/core/src/rate-limits.ts';
import { generateId } from '../../layers/core/src/secrets.ts';
import { type VerifyDeps, verifyCode } from '../../layers/core/src/sign-in.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import { resendChallenge } from '../../layers/core/src/workflow.ts';
import {
  atWindowStart,
  CODE_CONFIG,
  challengeDeps,
  GENEROUS_BUDGETS,
  type ManualClock,
  SOURCE,
  sendStepOnly,
  stores,
  TABLES,
  verifyDeps,
} from '../support/core-fixtures.ts';
import { codeIn, documentClient, emailsTo, uniqueEmail } from '../support/stack.ts';

describe('one-time-code challenges in DynamoDB Local', () => {
  let clock: ManualClock;
  let deps: ChallengeDeps;
  let checking: VerifyDeps;
  let email: string;
  let challengeId: string;

  const issue = () =>
    sendChallenge(deps, {
      sendNumber: 1,
      challengeId,
      identifier: normalizeIdentifier(email),
      channel: 'email',
      source: SOURCE,
    });
  const latestCode = async () => codeIn((await emailsTo(email)).at(-1)?.body.text);
  const verify = (code: string) => verifyCode(checking, { challengeId, code, source: SOURCE });
  const resend = (id = challengeId) =>
    resendChallenge(
      { store: deps.store, workflow: sendStepOnly(deps), clock, config: { code: CODE_CONFIG } },
      { challengeId: id, from: SOURCE },
    );
  /** The send step for send `sendNumber`, as a workflow started for it runs it: past any early check. */
  const claimSend = (sendNumber: number) =>
    sendChallenge(deps, {
      challengeId,
      sendNumber,
      identifier: normalizeIdentifier(email),
      channel: 'email',
      source: SOURCE,
    });
  /** Every counter of the budgets a send of `email` from SOURCE spends, as they stand. */
  const spent = () =>
    stores().counters.peek(
      budgetsFor(GENEROUS_BUDGETS, normalizeIdentifier(email), SOURCE),
      GENEROUS_BUDGETS.windowSeconds,
      clock.now(),
    );
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
    clock = atWindowStart();
    deps = challengeDeps({ clock });
    checking = verifyDeps(deps);
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
    await expect(
      verifyCode(checking, { challengeId: 'ch_unknown', code: '123456', source: SOURCE }),
    ).rejects.toBeInstanceOf(InvalidCode);
    await issue();
    await expect(verify('12ab56')).rejects.toBeInstanceOf(InvalidCode);
    expect((await stored())?.attempts).toBe(0);
  });

  it('spends no attempt when the pepper cannot be read, so the user keeps every guess', async () => {
    await issue();
    const code = await latestCode();
    const unreadable = {
      ...checking,
      pepper: () => Promise.reject(new Error('Secrets Manager unreachable')),
    };
    await expect(verifyCode(unreadable, { challengeId, code, source: SOURCE })).rejects.toThrow(
      'unreachable',
    );
    expect((await stored())?.attempts).toBe(0);
    await expect(verify(code)).resolves.toMatchObject({ identifierKey: `email#${email}` });
  });

  it('sends once when the send step is retried with the same challenge id', async () => {
    const first = await issue();
    const retried = await issue();
    expect(retried).toEqual({ view: first.view, delivered: false });
    expect(first.delivered).toBe(true);
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
    checking = verifyDeps(deps);
    await expect(issue()).rejects.toBeInstanceOf(ProviderUnavailable);
    expect((await stored())?.sends).toBe(0);
    await issue();
    expect(await emailsTo(email)).toHaveLength(1);
    await expect(verify(await latestCode())).resolves.toBeDefined();
  });

  it('never takes back a released first send once the challenge has expired', async () => {
    // Prepare: the first delivery failed and was released
    const real = deps.mailer;
    deps = challengeDeps({
      clock,
      mailer: { send: () => Promise.reject(new ProviderUnavailable('SES 503')) },
    });
    await expect(issue()).rejects.toBeInstanceOf(ProviderUnavailable);
    deps = challengeDeps({ clock, mailer: real });
    clock.advance(301);

    // Act
    const late = await resend().catch((error: unknown) => error);

    // Assess
    expect(late).toBeInstanceOf(ChallengeClosed);
    expect(await emailsTo(email)).toHaveLength(0);
    expect((await stored())?.sends).toBe(0);
  });

  describe('resend', () => {
    it('waits out the 30 s cool-down, then replaces the code', async () => {
      await issue();
      const oldCode = await latestCode();
      const early = await resend().catch((error: unknown) => error);
      expect(early).toBeInstanceOf(RateLimited);
      expect((early as RateLimited).retryAfterSeconds).toBe(30);

      clock.advance(30);
      await resend();
      const newCode = await latestCode();
      await expect(verify(oldCode === newCode ? '000000' : oldCode)).rejects.toBeInstanceOf(InvalidCode);
      await expect(verify(newCode)).resolves.toBeDefined();
    });

    it('keeps the attempts already spent', async () => {
      await issue();
      await Promise.allSettled([verify('000000'), verify('000001'), verify('000002')]);
      clock.advance(30);
      await resend();
      expect((await stored())?.attempts).toBe(3);
    });

    it('refuses inside the cool-down and on a used challenge without running the workflow', async () => {
      // Prepare
      let executions = 0;
      const counted = { run: () => Promise.reject(new Error(`workflow run ${++executions}`)) };
      const resendWith = () =>
        resendChallenge(
          { store: deps.store, workflow: counted, clock, config: { code: CODE_CONFIG } },
          { challengeId, from: SOURCE },
        );
      await issue();

      // Act
      const cooling = await resendWith().catch((error: unknown) => error);
      await verify(await latestCode());
      clock.advance(30);
      const used = await resendWith().catch((error: unknown) => error);

      // Assess
      expect(cooling).toMatchObject({ name: 'RateLimited', rule: 'cooldown' });
      expect(used).toBeInstanceOf(ChallengeClosed);
      expect(executions).toBe(0);
    });

    it('is refused by the claim itself inside the cool-down and past the cap, not only by the early check', async () => {
      // Prepare
      await issue();

      // Act
      const cooling = await claimSend(2).catch((error: unknown) => error);
      for (let send = 2; send <= 5; send++) {
        clock.advance(30);
        await claimSend(send);
      }
      clock.advance(30);
      const capped = await claimSend(6).catch((error: unknown) => error);

      // Assess
      expect(cooling).toMatchObject({ name: 'RateLimited', rule: 'cooldown' });
      expect(capped).toMatchObject({ name: 'RateLimited', rule: 'send-cap' });
      expect(await emailsTo(email)).toHaveLength(5);
    });

    it('stops at 5 sends per challenge', async () => {
      await issue();
      for (let send = 2; send <= 5; send++) {
        clock.advance(30);
        await resend();
      }
      clock.advance(30);
      await expect(resend()).rejects.toBeInstanceOf(RateLimited);
      expect(await emailsTo(email)).toHaveLength(5);
    });

    it('sends one code for 10 parallel resends, spending its budgets once', async () => {
      await issue();
      clock.advance(30);
      const before = await spent();
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => resend()));
      // Each either asked for send 2 (and answers with it) or came after it (and meets its cool-down).
      const answered = results.map((result) =>
        result.status === 'fulfilled' ? result.value.resendAvailableAt : (result.reason as RateLimited).rule,
      );
      expect(new Set(answered).size).toBeLessThanOrEqual(2);
      expect(answered.filter((answer) => answer !== 'cooldown').length).toBeGreaterThan(0);
      expect(await emailsTo(email)).toHaveLength(2);
      expect((await stored())?.sends).toBe(2);
      const after = await spent();
      for (const [i, counts] of after.entries()) {
        for (const [name, count] of Object.entries(counts)) expect(count).toBe((before[i]?.[name] ?? 0) + 1);
      }
    });

    it('answers every parallel claim of a released send as that send, and delivers it once', async () => {
      // Prepare: send 2 claimed, spent, then released by a failed delivery
      const real = deps.mailer;
      await issue();
      clock.advance(30);
      const second = {
        challengeId,
        sendNumber: 2,
        identifier: normalizeIdentifier(email),
        channel: 'email' as const,
        source: SOURCE,
      };
      const failing = challengeDeps({
        clock,
        mailer: { send: () => Promise.reject(new ProviderUnavailable('SES 503')) },
      });
      await expect(sendChallenge(failing, second)).rejects.toBeInstanceOf(ProviderUnavailable);
      deps = challengeDeps({ clock, mailer: real });

      // Act
      const results = await Promise.all(Array.from({ length: 5 }, () => sendChallenge(deps, second)));

      // Assess
      expect(results.filter((result) => result.delivered)).toHaveLength(1);
      expect(new Set(results.map((result) => result.view.resendAvailableAt)).size).toBe(1);
      expect(await emailsTo(email)).toHaveLength(2);
      expect((await stored())?.sends).toBe(2);
    });

    it('delivers a retried resend step once, and again after the provider failed it', async () => {
      let failures = 1;
      const real = deps.mailer;
      await issue();
      clock.advance(30);
      deps = challengeDeps({
        clock,
        mailer: {
          send: (message) =>
            failures-- > 0 ? Promise.reject(new ProviderUnavailable('SES 503')) : real.send(message),
        },
      });
      const second = {
        challengeId,
        sendNumber: 2,
        identifier: normalizeIdentifier(email),
        channel: 'email' as const,
        source: SOURCE,
      };
      await expect(sendChallenge(deps, second)).rejects.toBeInstanceOf(ProviderUnavailable);
      expect((await stored())?.sends).toBe(1);
      const delivered = await sendChallenge(deps, second);
      const retried = await sendChallenge(deps, second);
      expect(retried).toEqual({ view: delivered.view, delivered: false });
      expect(await emailsTo(email)).toHaveLength(2);
      expect((await stored())?.sends).toBe(2);
    });

    it('spends the identifier budget like a send, and refuses once it is spent, keeping the old code', async () => {
      deps = challengeDeps({ clock, rateLimit: { perIdentifier: 3 } });
      checking = verifyDeps(deps);
      await issue();
      clock.advance(30);
      await resend();
      clock.advance(30);
      await resend();
      clock.advance(30);
      const refused = await resend().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RateLimited);
      expect(await emailsTo(email)).toHaveLength(3);
      expect((await stored())?.sends).toBe(3);
      await expect(verify(await latestCode())).resolves.toBeDefined();
    });

    it('spends no budget on 10 parallel resends the cool-down refuses', async () => {
      await issue();
      clock.advance(29);
      const before = await spent();
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => resend()));
      expect(outcomes(results)).toEqual({ succeeded: 0, failed: 10 });
      expect(await spent()).toEqual(before);
    });

    it('stops an open challenge from verifying once its identifier is denylisted', async () => {
      await issue();
      const code = await latestCode();
      await documentClient().send(
        new PutCommand({ TableName: TABLES.denylist, Item: { pk: `email#${email}` } }),
      );
      await expect(verify(code)).rejects.toBeInstanceOf(IdentifierRejected);
    });

    it("stops an open challenge from verifying once the address's domain is denylisted", async () => {
      // A domain of its own: no other spec's address is at it.
      email = uniqueEmail('domain').replace(
        '@example.com',
        `@denied-${challengeId
          .slice(3, 11)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, 'x')}.example.org`,
      );
      await issue();
      await documentClient().send(
        new PutCommand({ TableName: TABLES.denylist, Item: { pk: `domain#${email.split('@')[1]}` } }),
      );
      try {
        await expect(verify(await latestCode())).rejects.toBeInstanceOf(IdentifierRejected);
      } finally {
        await documentClient().send(
          new DeleteCommand({ TableName: TABLES.denylist, Key: { pk: `domain#${email.split('@')[1]}` } }),
        );
      }
    });

    it('refuses used, locked and unknown challenges', async () => {
      await expect(resend('ch_unknown')).rejects.toBeInstanceOf(ChallengeClosed);
      await issue();
      await verify(await latestCode());
      clock.advance(30);
      await expect(resend()).rejects.toBeInstanceOf(ChallengeClosed);
    });
  });
});
