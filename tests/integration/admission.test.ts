/**
 * Budgets count only what is admitted: a send is claimed in one transaction with every budget it
 * spends, so a send refused by any budget, or by the challenge itself, spends none.
 */
import { describe, expect, it } from '@jest/globals';
import { sendChallenge } from '../../layers/core/src/challenge.ts';
import { RateLimited } from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type { Source } from '../../layers/core/src/ports.ts';
import { budgetsFor } from '../../layers/core/src/rate-limits.ts';
import { generateId } from '../../layers/core/src/secrets.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import {
  atWindowStart,
  challengeDeps,
  GENEROUS_BUDGETS,
  ManualClock,
  stores,
} from '../support/core-fixtures.ts';
import { emailsTo, uniqueEmail } from '../support/stack.ts';

const { counters } = stores();

/** SMS has no local provider in these specs: the numbers texted, in order. */
const texted: string[] = [];
const sms = { send: async ({ to }: { to: string }) => ({ messageId: String(texted.push(to)) }) };

function sender(rateLimit: Partial<typeof GENEROUS_BUDGETS>, clock = atWindowStart()) {
  const deps = challengeDeps({ clock, rateLimit, sms });
  const config = { ...GENEROUS_BUDGETS, ...rateLimit };
  return {
    send: (identifier: string, source: Source, challengeId = generateId(systemRandom, 'ch')) =>
      sendChallenge(deps, {
        sendNumber: 1,
        challengeId,
        identifier: normalizeIdentifier(identifier),
        channel: identifier.startsWith('+') ? 'sms' : 'email',
        source,
      }),
    /** Every counter of the budgets a send of `email` from `source` spends, as they stand. */
    spent: async (email: string, source: Source) => {
      const budgets = budgetsFor(config, normalizeIdentifier(email), source);
      const counts = await counters.peek(budgets, config.windowSeconds, clock.now());
      return Object.fromEntries(budgets.map(({ key }, i) => [key, counts[i]]));
    },
  };
}

const settled = async (sends: Promise<unknown>[]) => {
  const results = await Promise.allSettled(sends);
  return {
    sent: results.filter((result) => result.status === 'fulfilled').length,
    refused: results.filter((result) => result.status === 'rejected' && result.reason instanceof RateLimited)
      .length,
  };
};

/** A clock in a budget window no other spec reaches: counters of its own, even the shared ones. */
const freshWindow = () => atWindowStart(1 + Math.floor(Math.random() * 1e6));

/** A network of its own for each spec, so that parallel spec files never share a budget. */
const network = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

describe('admitting sends in DynamoDB Local', () => {
  it('sends exactly the budget out of 30 parallel starts for one identifier', async () => {
    const { send, spent } = sender({ perIdentifier: 10 });
    const email = uniqueEmail('budget');
    const source = { ip: `${network()}.1` };
    await expect(settled(Array.from({ length: 30 }, () => send(email, source)))).resolves.toEqual({
      sent: 10,
      refused: 20,
    });
    expect(await emailsTo(email)).toHaveLength(10);
    expect((await spent(email, source))[`id#email#${email}`]).toEqual({ n: 10 });
  });

  it('holds +tag variants of one address to one budget under concurrency, and mails each as typed', async () => {
    const { send, spent } = sender({ perIdentifier: 4 });
    const [name, domain] = uniqueEmail('tags').split('@');
    const variants = Array.from({ length: 20 }, (_, i) => `${name}+${i}@${domain}`);
    const source = { ip: `${network()}.1` };
    await expect(settled(variants.map((variant) => send(variant, source)))).resolves.toEqual({
      sent: 4,
      refused: 16,
    });
    const mailed = await Promise.all(variants.map(async (variant) => (await emailsTo(variant)).length));
    expect(mailed.reduce((sum, count) => sum + count, 0)).toBe(4);
    expect(await emailsTo(`${name}@${domain}`)).toHaveLength(0);
    expect((await spent(`${name}@${domain}`, source))[`id#email#${name}@${domain}`]).toEqual({ n: 4 });
  });

  it('holds a network and each address in it to their budgets under concurrency', async () => {
    const { send } = sender({ perNetwork: 12, perIp: 5 });
    const net = network();
    const ips = [1, 2, 3, 4].map((host) => `${net}.${host}`);
    const sends = ips.flatMap((ip) => Array.from({ length: 10 }, () => send(uniqueEmail('net'), { ip })));
    await expect(settled(sends)).resolves.toEqual({ sent: 12, refused: 28 });
  });

  it('holds a number prefix and each number in it to their budgets under concurrency', async () => {
    // Prepare: windows of their own (the prefix and country budgets are shared by every SMS spec)
    const limits = { perPhonePrefix: 7, perIdentifier: 2 };
    const numbers = (count: number) =>
      ['01', '02', '03', '04', '05'].slice(0, count).map((line) => `+14155550${line}0`);
    const burst = (send: ReturnType<typeof sender>['send'], to: string[]) =>
      to.flatMap((number) => Array.from({ length: 5 }, () => send(number, { ip: `${network()}.1` })));

    // Act: three numbers stay within the prefix, so each number's own budget binds; five do not
    const [perNumber, perPrefix] = await Promise.all([
      settled(burst(sender(limits, freshWindow()).send, numbers(3))),
      settled(burst(sender(limits, freshWindow()).send, numbers(5))),
    ]);

    // Assess
    expect(perNumber).toEqual({ sent: 6, refused: 9 });
    expect(perPrefix).toEqual({ sent: 7, refused: 18 });
  });

  it('holds a destination country and the whole deployment to their budgets under concurrency', async () => {
    // Prepare
    const byCountry = sender({ perCountry: 3 }, freshWindow());
    const byDeployment = sender({ global: 3 }, freshWindow());
    const numbers = ['212', '312', '415', '617', '702'].map((area) => `+1${area}5550123`);

    // Act
    const countrySends = numbers.map((number) => byCountry.send(number, { ip: `${network()}.1` }));
    // Five at once: every send of the deployment updates one item, and transactions on one item
    // conflict and are retried (six times) before a 503.
    const deploymentSends = Array.from({ length: 5 }, () =>
      byDeployment.send(uniqueEmail('global'), { ip: `${network()}.1` }),
    );
    const [country, deployment] = await Promise.all([settled(countrySends), settled(deploymentSends)]);

    // Assess
    expect(country).toEqual({ sent: 3, refused: 2 });
    expect(deployment).toEqual({ sent: 3, refused: 2 });
  });

  it('leaves every other budget unchanged when one refuses', async () => {
    const { send, spent } = sender({ perIp: 5 });
    const attacker = { ip: `${network()}.66` };
    const victim = uniqueEmail('victim');
    for (let i = 0; i < 5; i++) await send(uniqueEmail('own'), attacker);
    const before = await spent(victim, attacker);
    await expect(settled(Array.from({ length: 20 }, () => send(victim, attacker)))).resolves.toEqual({
      sent: 0,
      refused: 20,
    });
    expect(await spent(victim, attacker)).toEqual(before);
    expect(before[`id#email#${victim}`]).toEqual({ n: 0 });
  });

  it('spends nothing twice when the send step is retried', async () => {
    const { send, spent } = sender({});
    const email = uniqueEmail('retried');
    const source = { ip: `${network()}.9` };
    const challengeId = generateId(systemRandom, 'ch');
    await send(email, source, challengeId);
    await send(email, source, challengeId);
    expect((await spent(email, source))[`id#email#${email}`]).toEqual({ n: 1 });
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it('starts afresh in the next window', async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 60_000) * 60_000);
    const { send } = sender({ windowSeconds: 60, perIdentifier: 1 }, clock);
    const email = uniqueEmail('window');
    const source = { ip: `${network()}.3` };
    await send(email, source);
    await expect(send(email, source)).rejects.toMatchObject({ retryAfterSeconds: 60 });
    clock.advance(60);
    await expect(send(email, source)).resolves.toBeDefined();
  });
});
