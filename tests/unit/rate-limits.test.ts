import { describe, expect, it } from '@jest/globals';
import { RateLimited } from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type { CounterHit, CounterStore } from '../../layers/core/src/ports.ts';
import { enforceRateLimits, networkOf, type RateLimits } from '../../layers/core/src/rate-limits.ts';

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
  asnHeader: 'cloudfront-viewer-asn',
};

/** Counters as named numbers per item, all-or-nothing per hit, like the DynamoDB adapter. */
class InMemoryCounters implements CounterStore {
  readonly items = new Map<string, Record<string, number>>();
  async hit(
    key: string,
    counters: { name: string; limit: number }[],
    windowSeconds: number,
    now: number,
  ): Promise<CounterHit> {
    const item = this.items.get(key) ?? {};
    const windowEnd = (Math.floor(now / (windowSeconds * 1000)) + 1) * windowSeconds * 1000;
    if (counters.some(({ name, limit }) => (item[name] ?? 0) >= limit))
      return { allowed: false, retryAfterMs: windowEnd - now };
    for (const { name } of counters) item[name] = (item[name] ?? 0) + 1;
    this.items.set(key, item);
    return {
      allowed: true,
      retryAfterMs: 0,
      counts: Object.fromEntries(counters.map(({ name }) => [name, item[name] ?? 0])),
    };
  }
}

const IP = '203.0.113.7';
const start = (counters: CounterStore, identifier: string, sourceIp: string | undefined, config = LIMITS) =>
  enforceRateLimits(
    { counters, config },
    { identifier: normalizeIdentifier(identifier), sourceIp, now: NOW },
  );

describe('enforceRateLimits', () => {
  it('counts an email sign-in against the identifier, the IP within its network, and the deployment', async () => {
    const counters = new InMemoryCounters();
    await start(counters, 'ada@example.com', IP);
    expect(Object.fromEntries(counters.items)).toEqual({
      'id#email#ada@example.com': { n: 1 },
      'net#203.0.113.0/24': { n: 1, 'ip_203.0.113.7': 1 },
      global: { n: 1 },
    });
  });

  it('counts an SMS sign-in against the number within its prefix and against its country', async () => {
    const counters = new InMemoryCounters();
    await start(counters, '+14155550123', IP);
    expect(counters.items.get('prefix#+1415555')).toEqual({ n: 1, n_0123: 1 });
    expect(counters.items.get('global')).toEqual({ n: 1, c_US: 1 });
  });

  it('limits one identifier', async () => {
    const counters = new InMemoryCounters();
    for (let i = 0; i < LIMITS.perIdentifier; i++)
      await start(counters, 'ada@example.com', `198.51.100.${i}`);
    await expect(start(counters, 'ada@example.com', '198.51.100.99')).rejects.toBeInstanceOf(RateLimited);
  });

  it('limits one IP, and a network across its IPs', async () => {
    const counters = new InMemoryCounters();
    for (let i = 0; i < LIMITS.perIp; i++) await start(counters, `user${i}@example.com`, '203.0.113.7');
    await expect(start(counters, 'other@example.com', '203.0.113.7')).rejects.toBeInstanceOf(RateLimited);
    for (let i = 0; i < LIMITS.perNetwork - LIMITS.perIp; i++)
      await start(counters, `more${i}@example.com`, `203.0.113.${20 + i}`);
    await expect(start(counters, 'late@example.com', '203.0.113.200')).rejects.toBeInstanceOf(RateLimited);
    await expect(start(counters, 'elsewhere@example.com', '198.51.100.1')).resolves.toMatchObject({
      elevated: expect.any(Boolean),
    });
  });

  it('limits a phone prefix across its numbers (SMS pumping velocity)', async () => {
    const counters = new InMemoryCounters();
    for (let i = 0; i < LIMITS.perPhonePrefix; i++)
      await start(counters, `+1415555010${i}`, `198.51.100.${i}`);
    await expect(start(counters, '+14155550199', '198.51.100.50')).rejects.toBeInstanceOf(RateLimited);
  });

  it('limits SMS to one country', async () => {
    const counters = new InMemoryCounters();
    const numbers = [
      '+12025550101',
      '+13125550102',
      '+14155550103',
      '+16175550104',
      '+17185550105',
      '+18185550106',
    ];
    for (const [i, number] of numbers.entries()) await start(counters, number, `198.51.${i}.1`);
    await expect(start(counters, '+19175550107', '192.0.2.1')).rejects.toBeInstanceOf(RateLimited);
    await expect(start(counters, '+4915123456789', '192.0.2.2')).resolves.toMatchObject({
      elevated: expect.any(Boolean),
    });
  });

  it('limits all sends of the deployment', async () => {
    const counters = new InMemoryCounters();
    const config = { ...LIMITS, global: 4 };
    for (let i = 0; i < 4; i++) await start(counters, `g${i}@example.com`, `192.0.${i}.9`, config);
    await expect(start(counters, 'last@example.com', '192.0.99.9', config)).rejects.toBeInstanceOf(
      RateLimited,
    );
  });

  it('carries the time to the end of the window as the retry delay', async () => {
    const counters = new InMemoryCounters();
    for (let i = 0; i < LIMITS.perIdentifier; i++)
      await start(counters, 'ada@example.com', `198.51.100.${i}`);
    await expect(start(counters, 'ada@example.com', '198.51.100.99')).rejects.toMatchObject({
      retryAfterSeconds: 3600,
    });
  });

  it('skips the IP and network counter when the source IP is unknown or not an IP', async () => {
    const counters = new InMemoryCounters();
    await start(counters, 'ada@example.com', undefined);
    await start(counters, 'ada@example.com', 'not-an-ip');
    expect([...counters.items.keys()].sort()).toEqual(['global', 'id#email#ada@example.com']);
  });
});

describe('the ASN budget', () => {
  it('counts starts per autonomous system when one is named, and only then', async () => {
    const counters = new InMemoryCounters();
    const asnStart = (i: number) =>
      enforceRateLimits(
        { counters, config: LIMITS },
        {
          identifier: normalizeIdentifier(`a${i}@example.com`),
          sourceIp: `198.51.${i}.1`,
          asn: '64500',
          now: NOW,
        },
      );
    for (let i = 0; i < LIMITS.perAsn; i++) await asnStart(i);
    await expect(asnStart(99)).rejects.toBeInstanceOf(RateLimited);
    await start(counters, 'no-asn@example.com', '192.0.2.9');
    expect([...counters.items.keys()].filter((key) => key.startsWith('asn#'))).toEqual(['asn#64500']);
  });
});

describe('the risk a start carries', () => {
  it('is elevated once any budget is more than half spent', async () => {
    const counters = new InMemoryCounters();
    const outcomes = [];
    for (let i = 0; i < LIMITS.perIdentifier; i++)
      outcomes.push(await start(counters, 'ada@example.com', `198.51.100.${i}`));
    // perIdentifier is 3, so half is 1.5: the second start is past it.
    expect(outcomes.map((outcome) => outcome.elevated)).toEqual([false, true, true]);
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
