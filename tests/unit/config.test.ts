import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, requireVariable, secretIdVariable } from '../../layers/core/src/config.ts';
import { thrownBy } from '../support/thrown.ts';

/** The smallest environment the whole config loads from: everything else has a default. */
const MINIMAL_ENV: Readonly<Record<string, string>> = Object.freeze({
  EMAIL_FROM: 'login@example.com',
  TOKEN_ISSUER: 'https://auth.example.com',
  TOKEN_AUDIENCE: 'example-app',
});

const PEPPER_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:CodePepperSecret-AbCdEf';

const DAY = 86_400;

function envWith(changes: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...MINIMAL_ENV, ...changes };
}

/** Every object and array in the value, itself included, by its path. */
function containers(value: unknown, path = 'config'): [string, object][] {
  if (value === null || typeof value !== 'object') return [];
  const children = Object.entries(value).flatMap(([key, child]) => containers(child, `${path}.${key}`));
  return [[path, value], ...children];
}

describe('loadConfig', () => {
  describe('with a minimal valid environment', () => {
    it('applies the security defaults of docs/decisions.md ("Security defaults")', () => {
      // Act
      const config = loadConfig(MINIMAL_ENV);

      // Assess
      expect(config.code).toEqual({
        length: 6,
        ttlSeconds: 300,
        maxAttempts: 5,
        resendCooldownSeconds: 30,
        maxSends: 5,
      });
      expect(config.lockout).toEqual({ sourceFailures: 10, identifierFailureLimit: 100, blockSeconds: 900 });
      expect(config.rateLimit).toEqual({
        windowSeconds: 3600,
        perIdentifier: 10,
        perIp: 100,
        perNetwork: 300,
        perPhonePrefix: 30,
        perCountry: 1000,
        global: 20_000,
        perAsn: 5000,
      });
      expect(config.proxy).toEqual({ asnHeader: '' });
      expect(config.smsCountries.allowed).toEqual([]);
      expect(config.tokens).toMatchObject({
        idTokenAudience: 'authkit-app',
        accessTtlSeconds: 900,
        refreshIdleSeconds: 7 * DAY,
        refreshAbsoluteSeconds: 30 * DAY,
      });
    });

    it('reads the token identity and sender from the environment', () => {
      // Act
      const config = loadConfig(MINIMAL_ENV);

      // Assess
      expect(config.tokens).toMatchObject({
        issuer: 'https://auth.example.com',
        audience: 'example-app',
      });
      expect(config.email.from).toBe('login@example.com');
      expect(config.product).toEqual({ name: 'AuthKit' });
    });

    it('leaves captcha off', () => {
      // Act
      const config = loadConfig(MINIMAL_ENV);

      // Assess
      expect(config.captcha).toEqual({ provider: 'none', mode: 'escalate' });
    });
  });

  describe('returns a config no one can change', () => {
    // Every collection holds something, so a change to any of them would show.
    const config = loadConfig(
      envWith({ SMS_ALLOWED_COUNTRIES: 'US,CA', MAGIC_LINK_REDIRECT_URIS: 'https://app.example.com/' }),
    );

    it.each(containers(config))('refuses to add to or change %s', (_, value) => {
      // Act
      const add = () => Object.assign(value, { added: 1 });
      const change = () =>
        Object.assign(value, Object.fromEntries(Object.keys(value).map((key) => [key, 0])));

      // Assess
      expect(add).toThrow(TypeError);
      expect(change).toThrow(TypeError);
      if (Array.isArray(value)) expect(() => value.push('XX')).toThrow(TypeError);
    });

    it('holds lists as arrays, never a Set or Map, which freezing leaves open to `add` and `set`', () => {
      // Assess
      const sets = containers(config).filter(([, value]) => value instanceof Set || value instanceof Map);
      expect(sets).toEqual([]);
      expect(config.smsCountries.allowed).toEqual(['US', 'CA']);
    });
  });

  describe('given sections', () => {
    it('returns those sections alone', () => {
      // Act
      const config = loadConfig(MINIMAL_ENV, ['code', 'proxy']);

      // Assess
      expect(Object.keys(config).sort()).toEqual(['code', 'proxy']);
      expect(Object.isFrozen(config)).toBe(true);
    });

    it("reads no other section's variables, so a function is not stopped by one it does not use", () => {
      // Prepare: the tokens' issuer is required and the code's length out of bounds.
      const env = { CODE_LENGTH: '4', RATE_LIMIT_PER_IP: '7' };

      // Act
      const config = loadConfig(env, ['rateLimit']);

      // Assess
      expect(config.rateLimit.perIp).toBe(7);
    });

    it("still checks each of the given sections' variables", () => {
      // Act
      const error = thrownBy(() => loadConfig({ CODE_LENGTH: '4' }, ['rateLimit', 'code']));

      // Assess
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('CODE_LENGTH');
    });

    it('refuses a section the config does not have', () => {
      // Act
      const error = thrownBy(() => loadConfig(MINIMAL_ENV, ['tables' as 'code']));

      // Assess
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('tables');
    });
  });

  describe('with values inside the bounds', () => {
    it('takes them', () => {
      // Prepare
      const env = envWith({
        CODE_LENGTH: '8',
        CODE_TTL_SECONDS: '600',
        RESEND_COOLDOWN_SECONDS: ' 45 ',
        MAX_SENDS_PER_CHALLENGE: '3',
        CAPTCHA_PROVIDER: 'turnstile',
        LOCKOUT_BLOCK_MINUTES: '2',
        TRUSTED_ASN_HEADER: ' CloudFront-Viewer-ASN ',
        SMS_ALLOWED_COUNTRIES: ' us, ca ',
      });

      // Act
      const config = loadConfig(env);

      // Assess
      expect(config.code).toMatchObject({
        length: 8,
        ttlSeconds: 600,
        resendCooldownSeconds: 45,
        maxSends: 3,
      });
      expect(config.captcha).toEqual({ provider: 'turnstile', mode: 'escalate' });
      // In minutes in the template, in seconds in the config.
      expect(config.lockout.blockSeconds).toBe(120);
      // Node lower-cases the names of the headers it receives.
      expect(config.proxy.asnHeader).toBe('cloudfront-viewer-asn');
      expect(config.smsCountries.allowed).toEqual(['US', 'CA']);
    });

    it("takes magic links' pages as listed, and their base URL without its trailing slash", () => {
      // Prepare
      const env = envWith({
        MAGIC_LINK_REDIRECT_URIS: ' https://app.example.com/signed-in?from=mail , http://localhost:5173/ ',
        MAGIC_LINK_BASE_URL: ' https://abc123.execute-api.eu-west-1.amazonaws.com/live/ ',
      });

      // Act
      const config = loadConfig(env);

      // Assess
      expect(config.magicLinks.redirectUris).toEqual([
        'https://app.example.com/signed-in?from=mail',
        'http://localhost:5173/',
      ]);
      expect(config.magicLinkOrigin.baseUrl).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/live');
    });

    it('turns magic links off with no pages', () => {
      // Act
      const config = loadConfig(MINIMAL_ENV);

      // Assess
      expect(config.magicLinks.redirectUris).toEqual([]);
      expect(config.magicLinkOrigin.baseUrl).toBe('');
    });

    it("takes the ID token's audience", () => {
      // Prepare
      const env = envWith({ ID_TOKEN_AUDIENCE: ' example-web-app ' });

      // Act
      const config = loadConfig(env);

      // Assess
      expect(config.tokens).toMatchObject({ audience: 'example-app', idTokenAudience: 'example-web-app' });
    });

    it('caps the default idle lifetime at a shorter absolute lifetime', () => {
      // Prepare: 1 day is inside REFRESH_TOKEN_ABSOLUTE_SECONDS' bounds (1 h – 90 d) and the operator
      // set nothing else; the 7-day idle default cannot outlive the absolute lifetime, so it gives way.
      const env = envWith({ REFRESH_TOKEN_ABSOLUTE_SECONDS: String(DAY) });

      // Act
      const config = loadConfig(env);

      // Assess
      expect(config.tokens).toMatchObject({ refreshAbsoluteSeconds: DAY, refreshIdleSeconds: DAY });
    });
  });

  describe('enforces every bound with an error naming the variable', () => {
    it.each<[string, Record<string, string | undefined>, string]>([
      ['CODE_LENGTH below 6', { CODE_LENGTH: '5' }, 'CODE_LENGTH'],
      ['CODE_LENGTH above 8', { CODE_LENGTH: '9' }, 'CODE_LENGTH'],
      ['CODE_TTL_SECONDS above 10 minutes', { CODE_TTL_SECONDS: '601' }, 'CODE_TTL_SECONDS'],
      ['RESEND_COOLDOWN_SECONDS below 30', { RESEND_COOLDOWN_SECONDS: '29' }, 'RESEND_COOLDOWN_SECONDS'],
      ['MAX_SENDS_PER_CHALLENGE above 5', { MAX_SENDS_PER_CHALLENGE: '6' }, 'MAX_SENDS_PER_CHALLENGE'],
      ['TOKEN_ISSUER missing', { TOKEN_ISSUER: undefined }, 'TOKEN_ISSUER'],
      ['TOKEN_AUDIENCE blank', { TOKEN_AUDIENCE: '   ' }, 'TOKEN_AUDIENCE'],
      ['EMAIL_FROM missing', { EMAIL_FROM: undefined }, 'EMAIL_FROM'],
      ['CAPTCHA_PROVIDER unknown', { CAPTCHA_PROVIDER: 'bogus' }, 'CAPTCHA_PROVIDER'],
      ['CAPTCHA_MODE unknown', { CAPTCHA_MODE: 'sometimes' }, 'CAPTCHA_MODE'],
      [
        'SMS_ALLOWED_COUNTRIES with a name instead of a code',
        { SMS_ALLOWED_COUNTRIES: 'US,Germany' },
        'SMS_ALLOWED_COUNTRIES',
      ],
      [
        'IDENTIFIER_FAILURE_LIMIT above 100 (NIST)',
        { IDENTIFIER_FAILURE_LIMIT: '101' },
        'IDENTIFIER_FAILURE_LIMIT',
      ],
      ['IDENTIFIER_FAILURE_LIMIT below 40', { IDENTIFIER_FAILURE_LIMIT: '39' }, 'IDENTIFIER_FAILURE_LIMIT'],
      ['LOCKOUT_SOURCE_FAILURES below 3', { LOCKOUT_SOURCE_FAILURES: '2' }, 'LOCKOUT_SOURCE_FAILURES'],
      ['LOCKOUT_BLOCK_MINUTES of 0', { LOCKOUT_BLOCK_MINUTES: '0' }, 'LOCKOUT_BLOCK_MINUTES'],
      ['CODE_LENGTH not a number', { CODE_LENGTH: 'six' }, 'CODE_LENGTH'],
      ['CODE_LENGTH a fraction', { CODE_LENGTH: '6.5' }, 'CODE_LENGTH'],
      ['CODE_TTL_SECONDS with a unit', { CODE_TTL_SECONDS: '300s' }, 'CODE_TTL_SECONDS'],
      [
        'ACCESS_TOKEN_TTL_SECONDS infinite',
        { ACCESS_TOKEN_TTL_SECONDS: 'Infinity' },
        'ACCESS_TOKEN_TTL_SECONDS',
      ],
      ['CODE_MAX_ATTEMPTS negative', { CODE_MAX_ATTEMPTS: '-5' }, 'CODE_MAX_ATTEMPTS'],
      [
        'REFRESH_TOKEN_IDLE_SECONDS above REFRESH_TOKEN_ABSOLUTE_SECONDS',
        { REFRESH_TOKEN_IDLE_SECONDS: String(2 * DAY), REFRESH_TOKEN_ABSOLUTE_SECONDS: String(DAY) },
        'REFRESH_TOKEN_IDLE_SECONDS',
      ],
      [
        'MAGIC_LINK_REDIRECT_URIS with plain http to another host',
        { MAGIC_LINK_REDIRECT_URIS: 'https://app.example.com/,http://app.example.com/' },
        'MAGIC_LINK_REDIRECT_URIS',
      ],
      [
        'MAGIC_LINK_REDIRECT_URIS with a relative path',
        { MAGIC_LINK_REDIRECT_URIS: '/signed-in' },
        'MAGIC_LINK_REDIRECT_URIS',
      ],
      [
        'MAGIC_LINK_REDIRECT_URIS with a fragment, where the token goes',
        { MAGIC_LINK_REDIRECT_URIS: 'https://app.example.com/#done' },
        'MAGIC_LINK_REDIRECT_URIS',
      ],
      [
        'MAGIC_LINK_REDIRECT_URIS with credentials',
        { MAGIC_LINK_REDIRECT_URIS: 'https://user:pw@app.example.com/' },
        'MAGIC_LINK_REDIRECT_URIS',
      ],
      [
        'MAGIC_LINK_REDIRECT_URIS on a lookalike of localhost',
        { MAGIC_LINK_REDIRECT_URIS: 'http://localhost.example.com/' },
        'MAGIC_LINK_REDIRECT_URIS',
      ],
      [
        'MAGIC_LINK_BASE_URL with two URLs',
        { MAGIC_LINK_BASE_URL: 'https://a.example,https://b.example' },
        'MAGIC_LINK_BASE_URL',
      ],
      [
        'MAGIC_LINK_BASE_URL with a query',
        { MAGIC_LINK_BASE_URL: 'https://auth.example.com/?x=1' },
        'MAGIC_LINK_BASE_URL',
      ],
      [
        'MAGIC_LINK_BASE_URL in plain http',
        { MAGIC_LINK_BASE_URL: 'http://auth.example.com' },
        'MAGIC_LINK_BASE_URL',
      ],
    ])('%s', (_, changes, variable) => {
      // Prepare
      const env = envWith(changes);

      // Act
      const error = thrownBy(() => loadConfig(env));

      // Assess
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.name).toBe('ConfigError');
      expect(error.message).toContain(variable);
    });
  });
});

describe('the audiences of access and ID tokens', () => {
  it.each<[string, Record<string, string>]>([
    ['set to the same value', { TOKEN_AUDIENCE: 'example-app', ID_TOKEN_AUDIENCE: 'example-app' }],
    ['equal once trimmed', { TOKEN_AUDIENCE: 'example-app', ID_TOKEN_AUDIENCE: ' example-app ' }],
    ["equal through the ID token's default", { TOKEN_AUDIENCE: 'authkit-app' }],
  ])('are refused when %s, naming both variables', (_, changes) => {
    // Prepare: one audience for both would let an ID token pass where an access token is checked.
    const env = envWith(changes);

    // Act
    const error = thrownBy(() => loadConfig(env));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/ID_TOKEN_AUDIENCE must differ from TOKEN_AUDIENCE/);
  });
});

describe('wiring that is no tunable', () => {
  it('is read trimmed', () => {
    // Act
    const table = requireVariable({ CHALLENGES_TABLE: ' ChallengesTable ' }, 'CHALLENGES_TABLE');

    // Assess
    expect(table).toBe('ChallengesTable');
  });

  it.each([
    ['missing', undefined],
    ['blank', '   '],
  ])('stops a function when %s, naming the variable', (_, value) => {
    // Act
    const error = thrownBy(() => requireVariable({ STATE_MACHINE_ARN: value }, 'STATE_MACHINE_ARN'));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('STATE_MACHINE_ARN is required by this function');
  });
});

describe('secret ids', () => {
  it.each([
    ['codePepper', 'CODE_PEPPER_SECRET_ID'],
    ['signingKeySeed', 'SIGNING_KEY_SECRET_ID'],
    ['captcha', 'CAPTCHA_SECRET_ID'],
    ['proxy', 'PROXY_SECRET_ID'],
  ] as const)('of %s are read from %s, never the values they name', (secret, variable) => {
    // Prepare
    const env = envWith({ [variable]: ` ${PEPPER_ARN} ` });

    // Act
    const id = requireVariable(env, secretIdVariable(secret));

    // Assess
    expect(id).toBe(PEPPER_ARN);
  });

  it('stop a function that needs one and is not given it, naming the variable', () => {
    // Act
    const error = thrownBy(() => requireVariable(MINIMAL_ENV, secretIdVariable('signingKeySeed')));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('SIGNING_KEY_SECRET_ID is required by this function');
  });
});
