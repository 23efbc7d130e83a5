/**
 * Configuration is read once, validated against the product's safe bounds, and frozen. A bad value
 * fails at cold start with a message naming the variable, never later in a request.
 */
export type CaptchaProvider = 'none' | 'turnstile' | 'hcaptcha';
/** `escalate`: ask for a captcha only when a start is risky (a budget past half); `always`: on every start. */
export type CaptchaMode = 'escalate' | 'always';

export type Config = Readonly<{
  tables: Readonly<{
    challenges: string;
    counters: string;
    denylist: string;
    users: string;
    sessions: string;
  }>;
  stateMachineArn: string;
  code: Readonly<{
    length: number;
    ttlSeconds: number;
    maxAttempts: number;
    resendCooldownSeconds: number;
    maxSends: number;
  }>;
  /** Wrong codes in a row, across challenges (see lockout.ts). */
  lockout: Readonly<{
    /** From one source network, before that network is blocked for the identifier. */
    sourceFailures: number;
    /** From all sources: NIST SP 800-63B-4's ceiling, at which the identifier is blocked for a day. */
    identifierFailureLimit: number;
    /** The first block; each later block of the same lock doubles it, up to a day. */
    blockSeconds: number;
  }>;
  rateLimit: Readonly<{
    windowSeconds: number;
    perIdentifier: number;
    perIp: number;
    perNetwork: number;
    perPhonePrefix: number;
    perCountry: number;
    global: number;
    perAsn: number;
    /** Lower-cased name of a header a trusted proxy sets to the client's ASN; empty: none is trusted. */
    asnHeader: string;
  }>;
  captcha: Readonly<{ provider: CaptchaProvider; mode: CaptchaMode; verifyUrl: string }>;
  email: Readonly<{ from: string; configurationSet: string }>;
  sms: Readonly<{ senderId: string; allowedCountries: ReadonlySet<string> }>;
  tokens: Readonly<{
    issuer: string;
    /** `aud` of access tokens: the resource servers (APIs) that accept them. */
    audience: string;
    /** `aud` of ID tokens: the app they tell who signed in, never a resource server. */
    idTokenAudience: string;
    accessTtlSeconds: number;
    refreshIdleSeconds: number;
    refreshAbsoluteSeconds: number;
    /** Which generation of keys derived from the seed signs; bump by one to rotate. */
    signingKeyGeneration: number;
  }>;
  /**
   * Where each secret is kept (a Secrets Manager ARN or name), never its value: functions read the
   * value at run time. Empty where the function is not given the secret.
   */
  secretIds: Readonly<Record<SecretName, string>>;
  productName: string;
}>;

/** The variable that names each secret's id; only the functions that use a secret are given it. */
const SECRET_ID_VARIABLES = {
  codePepper: 'CODE_PEPPER_SECRET_ID',
  signingKeySeed: 'SIGNING_KEY_SECRET_ID',
  captcha: 'CAPTCHA_SECRET_ID',
  proxy: 'PROXY_SECRET_ID',
} as const;

export type SecretName = keyof typeof SECRET_ID_VARIABLES;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback?: string): string {
  const value = env[name]?.trim() || fallback;
  if (value === undefined || value === '') throw new ConfigError(`${name} is required`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  const value = raw ? (/^\d+$/.test(raw) ? Number(raw) : Number.NaN) : fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

/**
 * Secret ids reach only the functions that use them (see template.yaml), so they are optional in
 * the config; a function that needs one calls this at cold start.
 */
export function requireSecretId(config: Pick<Config, 'secretIds'>, secret: SecretName): string {
  const id = config.secretIds[secret];
  if (!id) throw new ConfigError(`${SECRET_ID_VARIABLES[secret]} is required by this function`);
  return id;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = (env[name]?.trim() || fallback) as T;
  if (!allowed.includes(value)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}`);
  return value;
}

/** ISO 3166-1 alpha-2 codes, comma-separated; empty means SMS goes nowhere. */
function countries(env: Env, name: string): ReadonlySet<string> {
  const list = (env[name] ?? '')
    .split(',')
    .map((code) => code.trim().toUpperCase())
    .filter(Boolean);
  const bad = list.find((code) => !/^[A-Z]{2}$/.test(code));
  if (bad)
    throw new ConfigError(`${name} must list ISO 3166 alpha-2 country codes such as US,CA (got "${bad}")`);
  return new Set(list);
}

const CAPTCHA_VERIFY_URLS: Record<CaptchaProvider, string> = {
  none: '',
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
};

const DAY = 86_400;

export function loadConfig(env: Env): Config {
  const captchaProvider = oneOf(env, 'CAPTCHA_PROVIDER', ['none', 'turnstile', 'hcaptcha'], 'none');
  const audience = text(env, 'TOKEN_AUDIENCE');
  const idTokenAudience = text(env, 'ID_TOKEN_AUDIENCE', 'authkit-app');
  // A shared audience would let a resource server that checks `aud` but not `typ` accept an ID token,
  // which apps hand around far more freely, as an access token.
  if (idTokenAudience === audience) {
    throw new ConfigError(`ID_TOKEN_AUDIENCE must differ from TOKEN_AUDIENCE (both are "${audience}")`);
  }
  const refreshAbsoluteSeconds = integer(env, 'REFRESH_TOKEN_ABSOLUTE_SECONDS', 30 * DAY, 3600, 90 * DAY);
  const config: Config = {
    tables: {
      challenges: text(env, 'CHALLENGES_TABLE'),
      counters: text(env, 'COUNTERS_TABLE'),
      denylist: text(env, 'DENYLIST_TABLE'),
      users: text(env, 'USERS_TABLE'),
      sessions: text(env, 'SESSIONS_TABLE'),
    },
    stateMachineArn: env.STATE_MACHINE_ARN?.trim() ?? '',
    code: {
      length: integer(env, 'CODE_LENGTH', 6, 6, 8),
      ttlSeconds: integer(env, 'CODE_TTL_SECONDS', 300, 60, 600),
      maxAttempts: integer(env, 'CODE_MAX_ATTEMPTS', 5, 1, 10),
      resendCooldownSeconds: integer(env, 'RESEND_COOLDOWN_SECONDS', 30, 30, 600),
      maxSends: integer(env, 'MAX_SENDS_PER_CHALLENGE', 5, 1, 5),
    },
    lockout: lockoutSettings(env),
    rateLimit: {
      windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 3600, 60, DAY),
      perIdentifier: integer(env, 'RATE_LIMIT_PER_IDENTIFIER', 10, 1, 1000),
      perIp: integer(env, 'RATE_LIMIT_PER_IP', 100, 1, 1_000_000),
      perNetwork: integer(env, 'RATE_LIMIT_PER_NETWORK', 300, 1, 1_000_000),
      perPhonePrefix: integer(env, 'RATE_LIMIT_PER_PHONE_PREFIX', 30, 1, 100_000),
      perCountry: integer(env, 'RATE_LIMIT_PER_COUNTRY', 1000, 1, 10_000_000),
      global: integer(env, 'RATE_LIMIT_GLOBAL', 20_000, 1, 100_000_000),
      perAsn: integer(env, 'RATE_LIMIT_PER_ASN', 5000, 1, 10_000_000),
      asnHeader: env.TRUSTED_ASN_HEADER?.trim().toLowerCase() ?? '',
    },
    captcha: {
      provider: captchaProvider,
      mode: oneOf(env, 'CAPTCHA_MODE', ['escalate', 'always'], 'escalate'),
      verifyUrl: env.CAPTCHA_VERIFY_URL?.trim() || CAPTCHA_VERIFY_URLS[captchaProvider],
    },
    email: {
      from: text(env, 'EMAIL_FROM'),
      configurationSet: env.SES_CONFIGURATION_SET?.trim() ?? '',
    },
    sms: {
      senderId: env.SMS_SENDER_ID?.trim() ?? '',
      allowedCountries: countries(env, 'SMS_ALLOWED_COUNTRIES'),
    },
    tokens: {
      issuer: text(env, 'TOKEN_ISSUER'),
      audience,
      idTokenAudience,
      accessTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL_SECONDS', 900, 60, 3600),
      refreshIdleSeconds: integer(
        env,
        'REFRESH_TOKEN_IDLE_SECONDS',
        Math.min(7 * DAY, refreshAbsoluteSeconds),
        3600,
        refreshAbsoluteSeconds,
      ),
      refreshAbsoluteSeconds,
      signingKeyGeneration: integer(env, 'SIGNING_KEY_GENERATION', 1, 1, 1_000_000),
    },
    secretIds: {
      codePepper: env[SECRET_ID_VARIABLES.codePepper]?.trim() ?? '',
      signingKeySeed: env[SECRET_ID_VARIABLES.signingKeySeed]?.trim() ?? '',
      captcha: env[SECRET_ID_VARIABLES.captcha]?.trim() ?? '',
      proxy: env[SECRET_ID_VARIABLES.proxy]?.trim() ?? '',
    },
    productName: text(env, 'PRODUCT_NAME', 'AuthKit'),
  };
  return deepFreeze(config);
}

function lockoutSettings(env: Env): Config['lockout'] {
  return {
    sourceFailures: integer(env, 'LOCKOUT_SOURCE_FAILURES', 10, 3, 20),
    // From 40, twice the largest per-network limit: escalation (two networks' worth) comes first.
    identifierFailureLimit: integer(env, 'IDENTIFIER_FAILURE_LIMIT', 100, 40, 100),
    blockSeconds: integer(env, 'LOCKOUT_BLOCK_MINUTES', 15, 1, 1440) * 60,
  };
}

function deepFreeze<T>(value: T): T {
  for (const child of Object.values(value as object)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
