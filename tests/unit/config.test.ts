import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, requireSecretId } from '../../layers/core/src/config.ts';
import { thrownBy } from '../support/thrown.ts';

/** The smallest environment a function can start with: everything else has a default. */
const MINIMAL_ENV: Readonly<Record<string, string>> = Object.freeze({
  CHALLENGES_TABLE: 'ChallengesTable',
  COUNTERS_TABLE: 'CountersTable',
  DENYLIST_TABLE: 'DenylistTable',
  USERS_TABLE: 'UsersTable',
  SESSIONS_TABLE: 'SessionsTable',
  EMAIL_FROM: 'login@example.com',
  TOKEN_ISSUER: 'https://auth.example.com',
  TOKEN_AUDIENCE: 'example-app',
});

const PEPPER_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:CodePepperSecret-AbCdEf';
const SEED_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:SigningKeySecret-GhIjKl';

const DAY = 86_400;

function envWith(changes: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...MINIMAL_ENV, ...changes };
}

function isDeeplyFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
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
        asnHeader: '',
      });
      expect([...config.sms.allowedCountries]).toEqual([]);
      expect(config.tokens).toMatchObject({
        idTokenAudience: 'authkit-app',
        accessTtlSeconds: 900,
        refreshIdleSeconds: 7 * DAY,
        refreshAbsoluteSeconds: 30 * DAY,
      });
    });

    it('reads the tables, token identity and sender from the environment', () => {
      // Act
      const config = loadConfig(MINIMAL_ENV);

      // Assess
      expect(config.tables).toEqual({
        challenges: 'ChallengesTable',
        counters: 'CountersTable',
        denylist: 'DenylistTable',
        users: 'UsersTable',
        sessions: 'SessionsTable',
      });
      expect(config.tokens).toMatchObject({
        issuer: 'https://auth.example.com',
        audience: 'example-app',
      });
      expect(config.email.from).toBe('login@example.com');
      expect(config.productName).toBe('AuthKit');
    });

    it('leaves captcha off', () => {
      // Act
      const config = loadConfig(MINIMAL_ENV);

      // Assess
      expect(config.captcha).toEqual({ provider: 'none', mode: 'escalate', verifyUrl: '' });
    });

    it('holds no secret id: a function that is given none has none', () => {
      // Act
      const config = loadConfig(MINIMAL_ENV);

      // Assess
      expect(config.secretIds).toEqual({ codePepper: '', signingKeySeed: '', captcha: '', proxy: '' });
    });

    it('returns a deeply frozen object', () => {
      // Act
      const config = loadConfig(MINIMAL_ENV);

      // Assess
      expect(isDeeplyFrozen(config)).toBe(true);
      expect(() => {
        (config.code as { length: number }).length = 4;
      }).toThrow(TypeError);
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
      expect(config.captcha).toEqual({
        provider: 'turnstile',
        mode: 'escalate',
        verifyUrl: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
      });
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
      ['CHALLENGES_TABLE missing', { CHALLENGES_TABLE: undefined }, 'CHALLENGES_TABLE'],
      ['CHALLENGES_TABLE blank', { CHALLENGES_TABLE: '   ' }, 'CHALLENGES_TABLE'],
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

describe('secret ids', () => {
  it('are read from the environment, never the values they name', () => {
    // Prepare
    const env = envWith({
      CODE_PEPPER_SECRET_ID: PEPPER_ARN,
      SIGNING_KEY_SECRET_ID: ` ${SEED_ARN} `,
      CAPTCHA_SECRET_ID: 'authkit/turnstile',
      PROXY_SECRET_ID: 'authkit/proxy',
    });

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config.secretIds).toEqual({
      codePepper: PEPPER_ARN,
      signingKeySeed: SEED_ARN,
      captcha: 'authkit/turnstile',
      proxy: 'authkit/proxy',
    });
  });

  it('are answered to a function that needs one', () => {
    // Prepare
    const config = loadConfig(envWith({ CODE_PEPPER_SECRET_ID: PEPPER_ARN }));

    // Act
    const id = requireSecretId(config, 'codePepper');

    // Assess
    expect(id).toBe(PEPPER_ARN);
  });

  it.each([
    ['codePepper', 'CODE_PEPPER_SECRET_ID'],
    ['signingKeySeed', 'SIGNING_KEY_SECRET_ID'],
    ['captcha', 'CAPTCHA_SECRET_ID'],
    ['proxy', 'PROXY_SECRET_ID'],
  ] as const)('stop a function that needs %s and is not given it, naming %s', (secret, variable) => {
    // Prepare
    const config = loadConfig(envWith({ [variable]: '  ' }));

    // Act
    const error = thrownBy(() => requireSecretId(config, secret));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`${variable} is required by this function`);
  });
});
