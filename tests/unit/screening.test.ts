import { describe, expect, it } from '@jest/globals';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { type CaptchaPolicy, type CaptchaVerdict, captchaPolicy } from '../../layers/core/src/captcha.ts';
import { type Config, ConfigError } from '../../layers/core/src/config.ts';
import {
  CaptchaInvalid,
  CaptchaRequired,
  IdentifierRejected,
  ProviderUnavailable,
} from '../../layers/core/src/errors.ts';
import { type Channel, type Identifier, normalizeIdentifier } from '../../layers/core/src/identifier.ts';
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

/** A verifier that answers `answer` (or throws it) and remembers every call. */
function captchaVerifier(
  answer: Partial<CaptchaVerdict> | Error,
): CaptchaVerifier & { calls: Array<[string, string | undefined]> } {
  const calls: Array<[string, string | undefined]> = [];
  return {
    calls,
    async verify(token, remoteIp) {
      calls.push([token, remoteIp]);
      if (answer instanceof Error) throw answer;
      return { success: false, errorCodes: [], ...answer };
    },
  };
}

const HOST = 'app.example.com';
const check = (provider: CaptchaPolicy['provider'], overrides: Partial<Config['captchaCheck']> = {}) =>
  captchaPolicy(provider, {
    hostnames: `${HOST},www.example.com`,
    action: 'authkit_start',
    recaptchaMinScorePercent: 50,
    outageEmail: 'fail-closed',
    ...overrides,
  });
const GOOD = { success: true, hostname: HOST };
const GOOD_RECAPTCHA = { ...GOOD, action: 'authkit_start', score: 0.9 };
const captcha = (answer: Partial<CaptchaVerdict> | Error, policy = check('turnstile')) => ({
  verifier: captchaVerifier(answer),
  policy,
});
const send = (captchaToken: string | undefined, extra: { required?: boolean; channel?: Channel } = {}) => ({
  captchaToken,
  sourceIp: IP,
  required: true,
  channel: 'email' as Channel,
  ...extra,
});

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

    it.each(['f.o.o+x@googlemail.com', 'Foo@gmail.com', 'foo+y@gmail.com', 'f.oo@googlemail.com'])(
      'rejects %s when foo@gmail.com is denylisted: Gmail ignores dots and tags',
      async (raw) => {
        // Prepare
        const denylist = new InMemoryDenylist(['email#foo@gmail.com']);

        // Act & Assess
        await expect(
          screenIdentifier({ denylist, smsCountries: ALLOWED }, normalizeIdentifier(raw)),
        ).rejects.toMatchObject({ name: 'IdentifierRejected' });
      },
    );

    it('still honours an entry written under the address as typed (before keys folded, or by hand)', async () => {
      // Prepare
      const denylist = new InMemoryDenylist(['email#first.last+news@gmail.com']);

      // Act & Assess
      await expect(
        screenIdentifier(
          { denylist, smsCountries: ALLOWED },
          normalizeIdentifier('First.Last+news@gmail.com'),
        ),
      ).rejects.toMatchObject({ name: 'IdentifierRejected' });
    });

    it('rejects a tagged address when its untagged form is denylisted, on any domain', async () => {
      // Prepare
      const denylist = new InMemoryDenylist(['email#ada@example.com']);

      // Act & Assess
      await expect(
        screenIdentifier({ denylist, smsCountries: ALLOWED }, normalizeIdentifier('Ada+promo@example.com')),
      ).rejects.toBeInstanceOf(IdentifierRejected);
    });

    it('keeps the dots of other domains: f.oo@example.com is not foo@example.com', async () => {
      // Prepare
      const denylist = new InMemoryDenylist(['email#foo@example.com']);

      // Act & Assess
      await expect(
        screenIdentifier({ denylist, smsCountries: ALLOWED }, normalizeIdentifier('f.oo@example.com')),
      ).resolves.toBeUndefined();
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
  it('passes every request when no provider is configured', async () => {
    // Act & Assess
    await expect(checkCaptcha(undefined, send(undefined))).resolves.toBe('not-needed');
  });

  it('lets a start without a token through when none is required (escalate mode, no risk)', async () => {
    // Prepare
    const configured = captcha(GOOD);

    // Act & Assess
    await expect(checkCaptcha(configured, send(undefined, { required: false }))).resolves.toBe('not-needed');
    expect(configured.verifier.calls).toEqual([]);
  });

  it('checks a token that was sent even when none is required', async () => {
    await expect(
      checkCaptcha(captcha({ success: false }), send('bad-token', { required: false })),
    ).rejects.toBeInstanceOf(CaptchaInvalid);
  });

  it('requires a token when a provider is configured and the start needs one', async () => {
    // Prepare
    const configured = captcha(GOOD);

    // Act
    const act = checkCaptcha(configured, send(undefined));

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'CaptchaRequired', refusalRule: 'captcha-required' });
    expect(configured.verifier.calls).toEqual([]);
  });

  it('treats an empty token as missing', async () => {
    // Act & Assess
    await expect(checkCaptcha(captcha(GOOD), send(''))).rejects.toBeInstanceOf(CaptchaRequired);
  });

  it('passes a token the provider accepts, forwarding the token and the client IP', async () => {
    // Prepare
    const configured = captcha(GOOD);

    // Act
    const outcome = await checkCaptcha(configured, send('good-token'));

    // Assess
    expect(outcome).toBe('passed');
    expect(configured.verifier.calls).toEqual([['good-token', IP]]);
  });

  it.each<[string, Partial<CaptchaVerdict>, CaptchaPolicy]>([
    [
      'a token the provider refuses',
      { success: false, errorCodes: ['invalid-input-response'] },
      check('hcaptcha'),
    ],
    [
      'a token refused though its answer names the site',
      { ...GOOD_RECAPTCHA, success: false, errorCodes: ['timeout-or-duplicate'] },
      check('recaptcha'),
    ],
    ['a token solved on another site', { ...GOOD, hostname: 'evil.example.net' }, check('hcaptcha')],
    ['an answer that names no hostname', { success: true }, check('turnstile')],
    ['a Turnstile token made for another action', { ...GOOD, action: 'newsletter' }, check('turnstile')],
    ['a reCAPTCHA token made for another action', { ...GOOD_RECAPTCHA, action: 'login' }, check('recaptcha')],
    ['a reCAPTCHA score below the threshold', { ...GOOD_RECAPTCHA, score: 0.3 }, check('recaptcha')],
    ['a reCAPTCHA answer with no score', { ...GOOD, action: 'authkit_start' }, check('recaptcha')],
    [
      'a reCAPTCHA score a hair below the threshold',
      { ...GOOD_RECAPTCHA, score: 0.56 },
      check('recaptcha', { recaptchaMinScorePercent: 57 }),
    ],
  ])('refuses %s (captcha-invalid)', async (_, answer, policy) => {
    // Act & Assess
    await expect(checkCaptcha(captcha(answer, policy), send('token'))).rejects.toMatchObject({
      name: 'CaptchaInvalid',
      refusalRule: 'captcha-invalid',
    });
  });

  it.each<[string, Partial<CaptchaVerdict>, CaptchaPolicy]>([
    ['a hostname in another case', { ...GOOD, hostname: 'WWW.Example.com' }, check('hcaptcha')],
    ['a Turnstile widget that names no action', { ...GOOD, action: '' }, check('turnstile')],
    ['a Turnstile token for the action', { ...GOOD, action: 'authkit_start' }, check('turnstile')],
    [
      'a reCAPTCHA score at the threshold',
      { ...GOOD_RECAPTCHA, score: 0.57 },
      check('recaptcha', { recaptchaMinScorePercent: 57 }),
    ],
  ])('passes %s', async (_, answer, policy) => {
    // Act & Assess
    await expect(checkCaptcha(captcha(answer, policy), send('token'))).resolves.toBe('passed');
  });

  describe('when the provider cannot answer', () => {
    const down = new ProviderUnavailable('The captcha verifier answered 503');

    it.each<Channel>(['sms', 'whatsapp'])(
      'refuses a %s send (503, captcha-unavailable) whatever the email policy',
      async (channel) => {
        // Prepare
        const policy = check('turnstile', { outageEmail: 'fail-open' });

        // Act & Assess
        await expect(checkCaptcha(captcha(down, policy), send('token', { channel }))).rejects.toMatchObject({
          name: 'ServiceUnavailable',
          status: 503,
          code: 'service_unavailable',
          refusalRule: 'captcha-unavailable',
        });
      },
    );

    it('refuses an email send when email fails closed', async () => {
      // Act & Assess
      await expect(checkCaptcha(captcha(down), send('token'))).rejects.toMatchObject({
        name: 'ServiceUnavailable',
        refusalRule: 'captcha-unavailable',
      });
    });

    it('lets an email send go when email fails open, and says so', async () => {
      // Prepare
      const policy = check('recaptcha', { outageEmail: 'fail-open' });

      // Act & Assess
      await expect(checkCaptcha(captcha(down, policy), send('token'))).resolves.toBe('failed-open');
    });

    it('does not take a bug for an outage', async () => {
      // Prepare
      const policy = check('turnstile', { outageEmail: 'fail-open' });

      // Act & Assess
      await expect(checkCaptcha(captcha(new TypeError('x'), policy), send('token'))).rejects.toBeInstanceOf(
        TypeError,
      );
    });
  });
});

describe('captchaPolicy', () => {
  it('reads the hostnames, trimmed and lower-cased', () => {
    // Act & Assess
    expect(check('turnstile', { hostnames: ' App.Example.com , localhost' }).hostnames).toEqual([
      'app.example.com',
      'localhost',
    ]);
  });

  it.each(['', ' , '])('stops the cold start without hostnames (%j)', (hostnames) => {
    // Act & Assess
    expect(() => check('hcaptcha', { hostnames })).toThrow(
      'CAPTCHA_HOSTNAMES is required with CAPTCHA_PROVIDER hcaptcha',
    );
  });

  it.each(['-app.example.com', 'app..example.com', 'app.example.com.'])(
    'stops the cold start on %s',
    (hostnames) => {
      // Act & Assess
      expect(() => check('recaptcha', { hostnames })).toThrow(ConfigError);
    },
  );
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
