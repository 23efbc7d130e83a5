import { describe, expect, it } from '@jest/globals';
import { RateLimited } from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type { Budget, CounterStore } from '../../layers/core/src/ports.ts';
import {
  assessBudgets,
  budgetsFor,
  networkOf,
  type RateLimits,
  sendSpend,
} from '../../layers/core/src/rate-limits.ts';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const LIMITS: RateLimits = {
  windowSeconds: 3600,
  perIdentifier: 3,
  perIp: 5,
  perNetwork: 8,
  perPhonePrefix: 4,
  perCountry: 6,
  global: 100,
  perAsn: 7,
};

/** Budget counters as they stand, keyed like the budgets. */
class CountersAsRead implements CounterStore {
  readonly items: Record<string, Record<string, number>>;
  constructor(items: Record<string, Record<string, number>>) {
    this.items = items;
  }
  async peek(budgets: Budget[]): Promise<Record<string, number>[]> {
    return budgets.map(({ key }) => this.items[key] ?? {});
  }
}

const IP = '203.0.113.7';
const keysOf = (budgets: Budget[]) =>
  Object.fromEntries(
    budgets.map(({ key, counters }) => [key, counters.map(({ name, limit }) => `${name} < ${limit}`)]),
  );
const assess = (items: Record<string, Record<string, number>>, identifier = 'ada@example.com') =>
  assessBudgets(
    { counters: new CountersAsRead(items), config: LIMITS },
    sendSpend(LIMITS, normalizeIdentifier(identifier), { ip: IP }, NOW),
  );

describe('the budgets a send spends', () => {
  it('for an email: the identifier, the IP within its network, and the deployment', () => {
    expect(keysOf(budgetsFor(LIMITS, normalizeIdentifier('ada@example.com'), { ip: IP }))).toEqual({
      'id#email#ada@example.com': ['n < 3'],
      global: ['n < 100'],
      'net#203.0.113.0/24': ['n < 8', 'ip_203.0.113.7 < 5'],
    });
  });

  it('for a number: the number within its prefix, and its country within the deployment', () => {
    expect(keysOf(budgetsFor(LIMITS, normalizeIdentifier('+14155550123'), { ip: IP }))).toEqual({
      'prefix#+1415555': ['n < 4', 'n_0123 < 3'],
      global: ['n < 100', 'c_US < 6'],
      'net#203.0.113.0/24': ['n < 8', 'ip_203.0.113.7 < 5'],
    });
  });

  it.each([
    ['a+1@example.com', 'a+2@example.com'],
    ['a@example.com', 'A+x@example.com'],
    ['foo@gmail.com', 'f.o.o+x@googlemail.com'],
  ])('spends one identifier budget for %s and %s', (one, other) => {
    const keyOf = (raw: string) => budgetsFor(LIMITS, normalizeIdentifier(raw), { ip: IP })[0]?.key;
    expect(keyOf(one)).toBe(keyOf(other));
  });

  it('keeps the dots of other domains apart', () => {
    const keyOf = (raw: string) => budgetsFor(LIMITS, normalizeIdentifier(raw), { ip: IP })[0]?.key;
    expect(keyOf('f.oo@example.com')).not.toBe(keyOf('foo@example.com'));
  });

  it('adds the autonomous system when a trusted proxy names one', () => {
    const budgets = budgetsFor(LIMITS, normalizeIdentifier('ada@example.com'), { ip: IP, asn: '64500' });
    expect(keysOf(budgets)['asn#64500']).toEqual(['n < 7']);
  });

  it('skips the IP and network when the source IP is unknown or not an IP', () => {
    for (const ip of [undefined, 'not-an-ip']) {
      expect(Object.keys(keysOf(budgetsFor(LIMITS, normalizeIdentifier('ada@example.com'), { ip })))).toEqual(
        ['id#email#ada@example.com', 'global'],
      );
    }
  });
});

describe('assessing a send before it is counted', () => {
  it('refuses when any budget is already spent, with the time to the end of the window', async () => {
    const refused = assess({ 'net#203.0.113.0/24': { n: 1, 'ip_203.0.113.7': LIMITS.perIp } });
    await expect(refused).rejects.toBeInstanceOf(RateLimited);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 3600 });
  });

  it('is elevated once this send would take any budget past half', async () => {
    // perIdentifier is 3, so half is 1.5: the second send is past it.
    await expect(assess({})).resolves.toEqual({ elevated: false });
    await expect(assess({ 'id#email#ada@example.com': { n: 1 } })).resolves.toEqual({ elevated: true });
  });
});

describe('networkOf', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0/24'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['::1', '0:0:0::/48'],
    ['::ffff:198.51.100.4', '198.51.100.0/24'],
    ['2001:0DB8:0000:0042::', '2001:db8:0::/48'],
  ])('puts %s in %s', (ip, network) => {
    expect(networkOf(ip)).toBe(network);
  });

  it('answers undefined for anything that is not an IP address', () => {
    expect(networkOf('localhost')).toBeUndefined();
  });
});
