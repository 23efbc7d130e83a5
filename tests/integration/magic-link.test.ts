/** Magic-link challenges in DynamoDB Local: what a failed send leaves, and what a confirmation meets. */
import { createHash, randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { type ChallengeDeps, sendChallenge } from '../../layers/core/src/challenge.ts';
import { ProviderUnavailable, ServiceUnavailable } from '../../layers/core/src/errors.ts';
import { normalizeIdentifier, screeningKey } from '../../layers/core/src/identifier.ts';
import { verifyMagicLink } from '../../layers/core/src/magic-link.ts';
import type { EmailMessage } from '../../layers/core/src/ports.ts';
import { generateId } from '../../layers/core/src/secrets.ts';
import { verifyCode } from '../../layers/core/src/sign-in.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import {
  atWindowStart,
  challengeDeps,
  type ManualClock,
  SOURCE,
  stores,
  TABLES,
  verifyDeps,
} from '../support/core-fixtures.ts';
import { documentClient, emailsTo, uniqueEmail } from '../support/stack.ts';

const tokenIn = (text: string | undefined): string =>
  decodeURIComponent(/[?&]token=([^\s&]+)/.exec(text ?? '')?.[1] ?? 'no token in the message');

describe('magic-link challenges in DynamoDB Local', () => {
  let clock: ManualClock;
  let deps: ChallengeDeps;
  let email: string;
  let challengeId: string;
  const codeVerifier = randomBytes(32).toString('base64url');
  const link = {
    redirectUri: 'https://app.example.com/signed-in',
    codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url'),
  };

  const send = (using = deps) =>
    sendChallenge(using, {
      challengeId,
      sendNumber: 1,
      identifier: normalizeIdentifier(email),
      channel: 'email',
      source: SOURCE,
      method: 'magic_link',
      link,
    });
  const confirm = (token: string) =>
    verifyMagicLink(verifyDeps(deps), { token, codeVerifier, source: SOURCE });
  const stored = async () =>
    (await documentClient().send(new GetCommand({ TableName: TABLES.challenges, Key: { pk: challengeId } })))
      .Item;

  beforeEach(() => {
    clock = atWindowStart(3);
    deps = challengeDeps({ clock });
    email = uniqueEmail('link');
    challengeId = generateId(systemRandom, 'ch');
  });

  it('leaves no link that signs in when its delivery failed', async () => {
    // Prepare: the provider fails after it was handed the message
    const handed: EmailMessage[] = [];
    const failing = challengeDeps({
      clock,
      mailer: {
        send: (message) => {
          handed.push(message);
          return Promise.reject(new ProviderUnavailable('SES 503'));
        },
      },
    });

    // Act
    await expect(send(failing)).rejects.toBeInstanceOf(ProviderUnavailable);

    // Assess
    expect(await stored()).not.toHaveProperty('linkHash');
    await expect(confirm(tokenIn(handed[0]?.text))).rejects.toMatchObject({ name: 'InvalidLink' });
  });

  it('refuses to send a magic link without a base URL, before claiming anything', async () => {
    // Prepare
    const unconfigured = {
      ...deps,
      config: { ...deps.config, magicLinkOrigin: { baseUrl: '' } },
    };

    // Act
    const sent = send(unconfigured);

    // Assess
    await expect(sent).rejects.toBeInstanceOf(ServiceUnavailable);
    expect(await stored()).toBeUndefined();
    expect(await emailsTo(email)).toEqual([]);
  });

  it('refuses a link whose identifier was denylisted since it was sent, and keeps it open', async () => {
    // Prepare
    await send();
    await stores()
      .denylist(clock)
      .deny({
        key: screeningKey(normalizeIdentifier(email)),
        reason: 'abuse report',
        source: 'operator',
        deniedAt: clock.now(),
      });

    // Act
    const confirmed = confirm(tokenIn((await emailsTo(email))[0]?.body.text));

    // Assess
    await expect(confirmed).rejects.toMatchObject({ name: 'IdentifierRejected' });
    expect(await stored()).toMatchObject({ status: 'pending' });
  });

  it('consumes a link once, however many confirmations passed their read together', async () => {
    // Prepare: twenty confirmations that all read the challenge open and the binding right
    await send();
    const { linkHash } = (await stored()) as { linkHash: string };

    // Act
    const consumed = await Promise.all(
      Array.from({ length: 20 }, () =>
        deps.store.consumeLink({ challengeId, linkHash, now: clock.now(), maxAttempts: 5 }),
      ),
    );

    // Assess
    expect(consumed.filter(Boolean)).toHaveLength(1);
    expect(await stored()).toMatchObject({ status: 'used', usedAt: clock.now() });
  });

  it('consumes no link a resend replaced after the confirmation read it', async () => {
    // Prepare: a confirmation read the first link's hash; then the challenge was resent
    await send();
    const { linkHash: read } = (await stored()) as { linkHash: string };
    clock.advance(31);
    await sendChallenge(deps, {
      challengeId,
      sendNumber: 2,
      identifier: normalizeIdentifier(email),
      channel: 'email',
      source: SOURCE,
      method: 'magic_link',
    });

    // Act
    const consumed = await deps.store.consumeLink({
      challengeId,
      linkHash: read,
      now: clock.now(),
      maxAttempts: 5,
    });

    // Assess
    expect(consumed).toBe(false);
    expect(await stored()).toMatchObject({ status: 'pending', redirectUri: link.redirectUri });
    expect((await stored())?.linkHash).not.toBe(read);
  });

  it.each([
    ['expired', 301, 5],
    ['ran out of wrong-code attempts', 0, 0],
  ])(
    'consumes no link whose challenge %s since the confirmation read it',
    async (_, seconds, maxAttempts) => {
      // Prepare
      await send();
      const { linkHash } = (await stored()) as { linkHash: string };
      clock.advance(seconds);

      // Act
      const consumed = await deps.store.consumeLink({ challengeId, linkHash, now: clock.now(), maxAttempts });

      // Assess
      expect(consumed).toBe(false);
      expect(await stored()).toMatchObject({ status: 'pending' });
    },
  );

  it('clears the lockout, as a correct code does', async () => {
    // Prepare: two wrong codes on another challenge of the same identifier
    const other = generateId(systemRandom, 'ch');
    await sendChallenge(deps, {
      challengeId: other,
      sendNumber: 1,
      identifier: normalizeIdentifier(email),
      channel: 'email',
      source: SOURCE,
    });
    for (const _ of [1, 2]) {
      await expect(
        verifyCode(verifyDeps(deps), { challengeId: other, code: '000000', source: SOURCE }),
      ).rejects.toMatchObject({ name: 'InvalidCode' });
    }
    const lock = `lock#${screeningKey(normalizeIdentifier(email))}`;
    const locks = verifyDeps(deps).locks;
    expect((await locks.read([lock]))[0]).toMatchObject({ used: 2 });
    await send();

    // Act
    await confirm(tokenIn((await emailsTo(email)).at(-1)?.body.text));

    // Assess
    expect(await locks.read([lock])).toEqual([undefined]);
  });
});
