import { describe, expect, it } from '@jest/globals';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Config } from '../../layers/core/src/config.ts';
import {
  CaptchaInvalid,
  CaptchaRequired,
  IdentifierRejected,
  RateLimited,
} from '../../layers/core/src/errors.ts';
import { type Identifier, normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type {
  CaptchaVerifier,
  CounterHit,
  CounterStore,
  DenylistStore,
} from '../../layers/core/src/ports.ts';
import { checkCaptcha, enforceRateLimits, screenIdentifier } from '../../layers/core/src/screening.ts';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const ADA = normalizeIdentifier('ada@example.com');
const US_PHONE = normalizeIdentifier('+14155550123');
const UK_PREMIUM_RATE = '+449098790123';
const IRIDIUM = '+881612345678';
const INMARSAT = '+870772001799';
const IP = '203.0.113.7';

/** Denies the keys it holds and remembers every lookup. */
class InMemoryDenylist implements DenylistStore {
  readonly lookups: string[][] = [];
  readonly #denied: readonly string[];
  constructor(denied: readonly string[] = []) {
    this.#denied = denied;
  }
  async findDenied(keys: string[]): Promise<string | undefined> {
    this.lookups.push(keys);
    return keys.find((key) => this.#denied.includes(key));
  }
}

/** Fixed-window counters; a key can be pre-loaded as exhausted with its own retry-after. */
class InMemoryCounters implements CounterStore {
  readonly counts = new Map<string, number>();
  readonly #exhausted: Record<string, number>;
  constructor(exhausted: Record<string, number> = {}) {
    this.#exhausted = exhausted;
  }
  async hit(key: string, limit: number, windowSeconds: number, now: number): Promise<CounterHit> {
    const retryAfterMs = this.#exhausted[key];
    if (retryAfterMs !== undefined) return { allowed: false, retryAfterMs };
    const count = this.counts.get(key) ?? 0;
    const windowEnd = (Math.floor(now / (windowSeconds * 1000)) + 1) * windowSeconds * 1000;
    if (count >= limit) return { allowed: false, retryAfterMs: windowEnd - now };
    this.counts.set(key, count + 1);
    return { allowed: true, retryAfterMs: 0 };
  }
}

function captchaVerifier(accepts: boolean): CaptchaVerifier & { calls: Array<[string, string | undefined]> } {
  const calls: Array<[string, string | undefined]> = [];
  return {
    calls,
    async verify(token, remoteIp) {
      calls.push([token, remoteIp]);
      return accepts;
    },
  };
}

const RATE_LIMITS: Config['rateLimit'] = { windowSeconds: 3600, perIdentifier: 3, perIp: 5 };

describe('screenIdentifier', () => {
  describe('disposable email domains', () => {
    it.each(['someone@mailinator.com', 'someone@eu.mailinator.com'])(
      'rejects %s without consulting the denylist',
      async (raw) => {
        // Prepare
        const denylist = new InMemoryDenylist();

        // Act
        const act = screenIdentifier({ denylist }, normalizeIdentifier(raw));

        // Assess
        await expect(act).rejects.toBeInstanceOf(IdentifierRejected);
        expect(denylist.lookups).toEqual([]);
      },
    );
  });

  describe('the denylist', () => {
    it('rejects an exactly denylisted identifier', async () => {
      // Prepare
      const denylist = new InMemoryDenylist(['email#ada@example.com']);

      // Act & Assess
      await expect(screenIdentifier({ denylist }, ADA)).rejects.toBeInstanceOf(IdentifierRejected);
    });

    it("rejects every address on a denylisted domain ('domain#' entry)", async () => {
      // Prepare
      const denylist = new InMemoryDenylist(['domain#example.com']);

      // Act & Assess
      await expect(
        screenIdentifier({ denylist }, normalizeIdentifier('grace@example.com')),
      ).rejects.toBeInstanceOf(IdentifierRejected);
    });

    it('rejects a denylisted phone number', async () => {
      // Prepare
      const denylist = new InMemoryDenylist(['phone#+14155550123']);

      // Act & Assess
      await expect(screenIdentifier({ denylist }, US_PHONE)).rejects.toBeInstanceOf(IdentifierRejected);
    });

    it('asks about the identifier and its domain', async () => {
      // Prepare
      const denylist = new InMemoryDenylist();

      // Act
      await screenIdentifier({ denylist }, ADA);

      // Assess
      expect(denylist.lookups).toEqual([['email#ada@example.com', 'domain#example.com']]);
    });
  });

  describe('costly phone ranges', () => {
    it('uses numbers libphonenumber classifies as intended', () => {
      // Act
      const premium = parsePhoneNumberFromString(UK_PREMIUM_RATE);
      const satellites = [IRIDIUM, INMARSAT].map((raw) => parsePhoneNumberFromString(raw));

      // Assess
      expect(premium?.isValid()).toBe(true);
      expect(premium?.getType()).toBe('PREMIUM_RATE');
      expect(satellites.map((number) => [number?.isValid(), number?.countryCallingCode])).toEqual([
        [true, '881'],
        [true, '870'],
      ]);
    });

    it.each([
      ['a UK premium-rate number', UK_PREMIUM_RATE],
      ['an Iridium satellite number (+881)', IRIDIUM],
      ['an Inmarsat satellite number (+870)', INMARSAT],
    ])('rejects %s without consulting the denylist', async (_, raw) => {
      // Prepare
      const denylist = new InMemoryDenylist();

      // Act
      const act = screenIdentifier({ denylist }, normalizeIdentifier(raw));

      // Assess
      await expect(act).rejects.toBeInstanceOf(IdentifierRejected);
      expect(denylist.lookups).toEqual([]);
    });

    it('rejects a shared-cost number type', async () => {
      // Prepare
      const shared: Identifier = {
        kind: 'phone',
        value: '+448451234567',
        country: 'GB',
        numberType: 'SHARED_COST',
        callingCode: '44',
      };

      // Act & Assess
      await expect(screenIdentifier({ denylist: new InMemoryDenylist() }, shared)).rejects.toBeInstanceOf(
        IdentifierRejected,
      );
    });
  });

  describe('ordinary identifiers', () => {
    it.each([
      ['ada@example.com', ADA],
      ['+14155550123', US_PHONE],
    ])('lets %s through', async (_, identifier) => {
      // Prepare
      const denylist = new InMemoryDenylist(['email#someone-else@example.com']);

      // Act & Assess
      await expect(screenIdentifier({ denylist }, identifier)).resolves.toBeUndefined();
    });
  });
});

describe('checkCaptcha', () => {
  it('passes every request when no verifier is configured', async () => {
    // Act & Assess
    await expect(checkCaptcha(undefined, { captchaToken: undefined, sourceIp: IP })).resolves.toBeUndefined();
  });

  it('requires a token when a verifier is configured', async () => {
    // Prepare
    const verifier = captchaVerifier(true);

    // Act
    const act = checkCaptcha(verifier, { captchaToken: undefined, sourceIp: IP });

    // Assess
    await expect(act).rejects.toBeInstanceOf(CaptchaRequired);
    expect(verifier.calls).toEqual([]);
  });

  it('treats an empty token as missing', async () => {
    // Act & Assess
    await expect(
      checkCaptcha(captchaVerifier(true), { captchaToken: '', sourceIp: IP }),
    ).rejects.toBeInstanceOf(CaptchaRequired);
  });

  it('rejects a token the verifier refuses', async () => {
    // Act & Assess
    await expect(
      checkCaptcha(captchaVerifier(false), { captchaToken: 'bad-token', sourceIp: IP }),
    ).rejects.toBeInstanceOf(CaptchaInvalid);
  });

  it('passes a token the verifier accepts, forwarding the token and the client IP', async () => {
    // Prepare
    const verifier = captchaVerifier(true);

    // Act
    await checkCaptcha(verifier, { captchaToken: 'good-token', sourceIp: IP });

    // Assess
    expect(verifier.calls).toEqual([['good-token', IP]]);
  });
});

describe('enforceRateLimits', () => {
  it('counts the identifier and the IP separately', async () => {
    // Prepare
    const counters = new InMemoryCounters();

    // Act
    await enforceRateLimits({ counters, config: RATE_LIMITS }, { identifier: ADA, sourceIp: IP, now: NOW });
    await enforceRateLimits(
      { counters, config: RATE_LIMITS },
      { identifier: US_PHONE, sourceIp: IP, now: NOW },
    );

    // Assess
    expect(Object.fromEntries(counters.counts)).toEqual({
      'id#email#ada@example.com': 1,
      'id#phone#+14155550123': 1,
      [`ip#${IP}`]: 2,
    });
  });

  it('skips the IP counter when the source IP is unknown', async () => {
    // Prepare
    const counters = new InMemoryCounters();

    // Act
    await enforceRateLimits(
      { counters, config: RATE_LIMITS },
      { identifier: ADA, sourceIp: undefined, now: NOW },
    );

    // Assess
    expect([...counters.counts.keys()]).toEqual(['id#email#ada@example.com']);
  });

  it('throws RateLimited once the identifier has used its window', async () => {
    // Prepare
    const counters = new InMemoryCounters();
    const request = { identifier: ADA, sourceIp: undefined, now: NOW };
    for (let i = 0; i < RATE_LIMITS.perIdentifier; i++) {
      await enforceRateLimits({ counters, config: RATE_LIMITS }, request);
    }

    // Act
    const act = enforceRateLimits({ counters, config: RATE_LIMITS }, request);

    // Assess
    await expect(act).rejects.toBeInstanceOf(RateLimited);
  });

  it.each<[string, Record<string, number>, number]>([
    ['the identifier is over', { 'id#email#ada@example.com': 12_000 }, 12],
    ['the IP is over', { [`ip#${IP}`]: 30_000 }, 30],
    ['both are over, the IP for longer', { 'id#email#ada@example.com': 12_000, [`ip#${IP}`]: 30_000 }, 30],
    [
      'both are over, the identifier for longer',
      { 'id#email#ada@example.com': 90_500, [`ip#${IP}`]: 5_000 },
      91,
    ],
  ])('when %s, carries the largest retry-after', async (_, exhausted, retryAfterSeconds) => {
    // Prepare
    const counters = new InMemoryCounters(exhausted);

    // Act
    const act = enforceRateLimits(
      { counters, config: RATE_LIMITS },
      { identifier: ADA, sourceIp: IP, now: NOW },
    );

    // Assess
    await expect(act).rejects.toBeInstanceOf(RateLimited);
    await expect(act).rejects.toMatchObject({ retryAfterSeconds });
  });
});
