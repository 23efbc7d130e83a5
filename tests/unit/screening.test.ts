import { describe, expect, it } from '@jest/globals';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { CaptchaInvalid, CaptchaRequired, IdentifierRejected } from '../../layers/core/src/errors.ts';
import { type Identifier, normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type { CaptchaVerifier, DenylistEntry, DenylistStore } from '../../layers/core/src/ports.ts';
import {
  checkCaptcha,
  IDENTIFIER_RULES,
  refuseDenied,
  screenIdentifier,
} from '../../layers/core/src/screening.ts';

const ADA = normalizeIdentifier('ada@example.com');
const US_PHONE = normalizeIdentifier('+14155550123');
const UK_PREMIUM_RATE = '+449098790123';
const IRIDIUM = '+881612345678';
const INMARSAT = '+870772001799';
const IP = '203.0.113.7';

/** Denies the keys it holds and remembers every lookup. */
class InMemoryDenylist implements DenylistStore {
  readonly lookups: string[][] = [];
  readonly #denied: string[];
  constructor(denied: readonly string[] = []) {
    this.#denied = [...denied];
  }
  async standing(keys: string[]): Promise<DenylistEntry[]> {
    this.lookups.push(keys);
    return keys
      .filter((key) => this.#denied.includes(key))
      .map((key) => ({ key, reason: 'test', source: 'operator', deniedAt: 0 }));
  }
  async deny(entry: DenylistEntry): Promise<void> {
    this.#denied.push(entry.key);
  }
  async denyOnFeedback(entry: DenylistEntry): Promise<'denied'> {
    this.#denied.push(entry.key);
    return 'denied';
  }
  async list(): Promise<DenylistEntry[]> {
    return this.standing(this.#denied);
  }
  async allow(key: string): Promise<void> {
    this.#denied.splice(this.#denied.indexOf(key), 1);
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

/** Countries SMS may go to in these specs (the operator's allow-list). */
const ALLOWED = ['US', 'GB', 'DE'];

describe('screenIdentifier', () => {
  describe('disposable email domains', () => {
    it.each(['someone@mailinator.com', 'someone@eu.mailinator.com'])(
      'rejects %s without consulting the denylist',
      async (raw) => {
        // Prepare
        const denylist = new InMemoryDenylist();

        // Act
        const act = screenIdentifier({ denylist, smsCountries: ALLOWED }, normalizeIdentifier(raw));

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
      await expect(screenIdentifier({ denylist, smsCountries: ALLOWED }, ADA)).rejects.toBeInstanceOf(
        IdentifierRejected,
      );
    });

    it("rejects every address on a denylisted domain ('domain#' entry)", async () => {
      // Prepare
      const denylist = new InMemoryDenylist(['domain#example.com']);

      // Act & Assess
      await expect(
        screenIdentifier({ denylist, smsCountries: ALLOWED }, normalizeIdentifier('grace@example.com')),
      ).rejects.toBeInstanceOf(IdentifierRejected);
    });

    it('rejects a denylisted phone number', async () => {
      // Prepare
      const denylist = new InMemoryDenylist(['phone#+14155550123']);

      // Act & Assess
      await expect(screenIdentifier({ denylist, smsCountries: ALLOWED }, US_PHONE)).rejects.toBeInstanceOf(
        IdentifierRejected,
      );
    });

    it('asks about the identifier and its domain', async () => {
      // Prepare
      const denylist = new InMemoryDenylist();

      // Act
      await screenIdentifier({ denylist, smsCountries: ALLOWED }, ADA);

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
      const act = screenIdentifier({ denylist, smsCountries: ALLOWED }, normalizeIdentifier(raw));

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
      await expect(
        screenIdentifier({ denylist: new InMemoryDenylist(), smsCountries: ALLOWED }, shared),
      ).rejects.toBeInstanceOf(IdentifierRejected);
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
      await expect(
        screenIdentifier({ denylist, smsCountries: ALLOWED }, identifier),
      ).resolves.toBeUndefined();
    });
  });
});

describe('checkCaptcha', () => {
  it('passes every request when no verifier is configured', async () => {
    // Act & Assess
    await expect(
      checkCaptcha(undefined, { captchaToken: undefined, sourceIp: IP, required: true }),
    ).resolves.toBeUndefined();
  });

  it('lets a start without a token through when none is required (escalate mode, no risk)', async () => {
    // Prepare
    const verifier = captchaVerifier(false);

    // Act & Assess
    await expect(
      checkCaptcha(verifier, { captchaToken: undefined, sourceIp: IP, required: false }),
    ).resolves.toBeUndefined();
    expect(verifier.calls).toEqual([]);
  });

  it('checks a token that was sent even when none is required', async () => {
    await expect(
      checkCaptcha(captchaVerifier(false), { captchaToken: 'bad-token', sourceIp: IP, required: false }),
    ).rejects.toBeInstanceOf(CaptchaInvalid);
  });

  it('requires a token when a verifier is configured and the start needs one', async () => {
    // Prepare
    const verifier = captchaVerifier(true);

    // Act
    const act = checkCaptcha(verifier, { captchaToken: undefined, sourceIp: IP, required: true });

    // Assess
    await expect(act).rejects.toBeInstanceOf(CaptchaRequired);
    expect(verifier.calls).toEqual([]);
  });

  it('treats an empty token as missing', async () => {
    // Act & Assess
    await expect(
      checkCaptcha(captchaVerifier(true), { captchaToken: '', sourceIp: IP, required: true }),
    ).rejects.toBeInstanceOf(CaptchaRequired);
  });

  it('rejects a token the verifier refuses', async () => {
    // Act & Assess
    await expect(
      checkCaptcha(captchaVerifier(false), { captchaToken: 'bad-token', sourceIp: IP, required: true }),
    ).rejects.toBeInstanceOf(CaptchaInvalid);
  });

  it('passes a token the verifier accepts, forwarding the token and the client IP', async () => {
    // Prepare
    const verifier = captchaVerifier(true);

    // Act
    await checkCaptcha(verifier, { captchaToken: 'good-token', sourceIp: IP, required: true });

    // Assess
    expect(verifier.calls).toEqual([['good-token', IP]]);
  });
});

describe('the SMS country allow-list', () => {
  it.each([
    ['a country the operator did not list', '+4915123456789', ['US']],
    ['any number when the list is empty', '+14155550123', [] as string[]],
  ])('rejects %s', async (_, raw, smsCountries) => {
    // Act
    const act = screenIdentifier(
      { denylist: new InMemoryDenylist(), smsCountries },
      normalizeIdentifier(raw),
    );

    // Assess
    await expect(act).rejects.toBeInstanceOf(IdentifierRejected);
  });

  it('does not apply to email', async () => {
    await expect(
      screenIdentifier({ denylist: new InMemoryDenylist(), smsCountries: [] as string[] }, ADA),
    ).resolves.toBeUndefined();
  });
});

describe('the rule a refusal names (metrics and audit only)', () => {
  it.each([
    ['a disposable domain', 'someone@mailinator.com', [], 'disposable-domain'],
    ['a country not allowed', '+4915123456789', [], 'sms-country'],
    ['a premium-rate number in an allowed country', UK_PREMIUM_RATE, [], 'number-type'],
    ['a denylisted identifier', 'ada@example.com', ['email#ada@example.com'], 'denylist'],
    ['a denylisted domain', 'grace@example.com', ['domain#example.com'], 'denylist'],
  ])('%s', async (_, raw, denied, rule) => {
    // Act
    const act = screenIdentifier(
      { denylist: new InMemoryDenylist(denied), smsCountries: ['US', 'GB'] },
      normalizeIdentifier(raw),
    );

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'IdentifierRejected', refusalRule: rule });
  });
});

describe('refuseDenied (verify)', () => {
  it('names the denylist', async () => {
    await expect(refuseDenied(new InMemoryDenylist(['email#ada@example.com']), ADA)).rejects.toMatchObject({
      name: 'IdentifierRejected',
      refusalRule: 'denylist',
    });
  });
});

describe('IDENTIFIER_RULES, as why reads them', () => {
  it('report every block, where screening stops at the first', async () => {
    // Prepare: a premium-rate number in a country not allowed, and denylisted
    const identifier = normalizeIdentifier(UK_PREMIUM_RATE);
    const deps = { denylist: new InMemoryDenylist([`phone#${UK_PREMIUM_RATE}`]), smsCountries: ['US'] };

    // Act
    const blocks = (await Promise.all(IDENTIFIER_RULES.map((rule) => rule(deps, identifier)))).flat();

    // Assess
    expect(blocks.map((block) => block.rule)).toEqual(['sms-country', 'number-type', 'denylist']);
    expect(blocks[0]?.facts).toEqual({ country: 'GB', allowed: 'US' });
    expect(blocks[1]?.facts).toEqual({ type: 'premium-rate' });
    expect(blocks[2]?.facts).toMatchObject({
      key: `phone#${UK_PREMIUM_RATE}`,
      reason: 'test',
      source: 'operator',
    });
  });
});
