/**
 * Configuration is read once, validated against the product's safe bounds (settings.ts), and
 * frozen. A bad value fails at cold start with a message naming the variable, never later in a
 * request. Wiring that is no tunable (table names, the state machine, secret ids) is read with
 * requireVariable.
 */
import {
  type IntegerSetting,
  SETTINGS,
  type Setting,
  type TextSetting,
  type UrlsSetting,
} from './settings.ts';

export type CaptchaProvider = 'none' | 'turnstile' | 'hcaptcha' | 'recaptcha';
export type SmsProvider = 'sns' | 'end-user-messaging';
/** `escalate`: ask for a captcha only when a send is risky (a budget past half, an identifier under attack); `always`: on every start and resend. */
export type CaptchaMode = 'escalate' | 'always';
/** SMS and WhatsApp always fail closed: a pumped message costs money, a spammed email little. */
export type CaptchaOutagePolicy = 'fail-closed' | 'fail-open';

/** The tunables, by section; a function loads only the sections it uses. */
export type Config = Readonly<{
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
  }>;
  proxy: Readonly<{
    /** Lower-cased name of a header a trusted proxy sets to the client's ASN; empty: none is trusted. */
    asnHeader: string;
  }>;
  captcha: Readonly<{ provider: CaptchaProvider; mode: CaptchaMode }>;
  /** The SMS-pumping breaker (sms-breaker.ts): sends against sign-ins, per country and number range. */
  smsBreaker: Readonly<{
    windowSeconds: number;
    /** Sends in the window below which a scope is never judged. */
    minSends: number;
    /** Sign-ins per 100 sends below which a scope trips. */
    minConversionPercent: number;
    coolOffSeconds: number;
  }>;
  /** What VerifyCaptcha checks of a provider's answer, and what a provider outage does (README, "Captcha"). */
  captchaCheck: Readonly<{
    /** Comma-separated hostnames the widget may run on; required with a provider (captchaPolicy checks). */
    hostnames: string;
    /** The action the app names when it asks for a token: reCAPTCHA's always, Turnstile's when set. */
    action: string;
    /** reCAPTCHA v3's lowest passing score, in hundredths (50: 0.5). */
    recaptchaMinScorePercent: number;
    /** For email, when the verifier cannot answer: refuse (503), or send without captcha. */
    outageEmail: CaptchaOutagePolicy;
  }>;
  email: Readonly<{ from: string; configurationSet: string }>;
  /** Where SMS may go: screening's concern, apart from how it is sent. An array, not a Set: freezing a Set leaves `add` working. */
  smsCountries: Readonly<{ allowed: readonly string[] }>;
  sms: Readonly<{
    senderId: string;
    /** Which AWS service sends SMS; End User Messaging also reports each message's delivery. */
    provider: SmsProvider;
    /** The stack's End User Messaging configuration set. */
    configurationSet: string;
    /** The End User Messaging phone number, sender id or pool to send from; empty: the service picks. */
    originationIdentity: string;
  }>;
  tokens: Readonly<{
    issuer: string;
    /** `aud` of access tokens: the resource servers (APIs) that accept them. */
    audience: string;
    /** `aud` of ID tokens: the app they tell who signed in, never a resource server. */
    idTokenAudience: string;
    accessTtlSeconds: number;
    refreshIdleSeconds: number;
    refreshAbsoluteSeconds: number;
  }>;
  product: Readonly<{ name: string }>;
  /** Where a magic link may continue to: the app's pages, compared exactly; empty: magic links are off. */
  magicLinks: Readonly<{ redirectUris: readonly string[] }>;
  /** The origin (and path) of the links in emails: configuration, never a request's Host header. */
  magicLinkOrigin: Readonly<{ baseUrl: string }>;
  /** How long delivery feedback keeps an address on the denylist; 0: that feedback denies nothing. */
  feedback: Readonly<{ bounceSeconds: number; complaintSeconds: number; smsFailureSeconds: number }>;
  /** How long audit records are kept (see audit.ts). */
  audit: Readonly<{ retentionDays: number }>;
}>;

export type ConfigSection = keyof Config;

export type Environment = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The given sections of the config (every section without `sections`), deeply frozen. Only their
 * variables are read, so a function is not stopped by a variable it has no use for.
 */
export function loadConfig<S extends ConfigSection = ConfigSection>(
  env: Environment,
  sections?: readonly S[],
): Pick<Config, S> {
  const config: Record<string, Record<string, unknown>> = {};
  // By variable: rows that depend on another (atMost, differsFrom) find its value here.
  const read = new Map<string, unknown>();
  for (const setting of SETTINGS) {
    if (!setting.at || !setting.variable) continue;
    if (sections && !sections.includes(setting.at.section as S)) continue;
    const value = readSetting(env, setting.variable, setting, read);
    read.set(setting.variable, value);
    config[setting.at.section] = { ...config[setting.at.section], [setting.at.key]: value };
  }
  for (const section of sections ?? []) {
    if (!(section in config)) throw new ConfigError(`The config has no section named ${section}`);
  }
  return deepFreeze(config) as Pick<Config, S>;
}

function readSetting(env: Environment, name: string, setting: Setting, read: Map<string, unknown>): unknown {
  const raw = env[name]?.trim() ?? '';
  switch (setting.kind) {
    case 'integer':
      return integer(name, raw, setting, read);
    case 'text':
      return text(name, raw, setting, read);
    case 'oneOf': {
      const value = raw || String(setting.default);
      const allowed = setting.values.map(String);
      if (!allowed.includes(value)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}`);
      return value;
    }
    case 'countries':
      return countries(name, raw || (setting.whenUnset === 'empty' ? '' : setting.default));
    case 'urls':
      return urls(name, raw, setting);
  }
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Absolute URLs, each https or http on loopback, with no credentials and no fragment (a magic link
 * puts its token in the fragment). A `single` one is a base URL: no query, and no trailing slash.
 */
function urls(name: string, raw: string, setting: UrlsSetting): string[] | string {
  const list = raw
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);
  const fail = (why: string): never => {
    throw new ConfigError(`${name} ${why}`);
  };
  if (setting.single && list.length > 1) fail('takes one URL');
  for (const text of list) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return fail(`must list absolute URLs (got "${text}")`);
    }
    const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname);
    if (url.protocol !== 'https:' && !loopback) fail(`must use https, or http on localhost (got "${text}")`);
    if (url.username || url.password) fail(`must not hold credentials (got "${url.origin}")`);
    if (text.includes('#')) fail(`must not hold a fragment (got "${text}")`);
    if (setting.single && url.search) fail(`must not hold a query (got "${text}")`);
  }
  return setting.single ? (list[0] ?? '').replace(/\/+$/, '') : list;
}

function integer(name: string, raw: string, setting: IntegerSetting, read: Map<string, unknown>): number {
  const cap = setting.atMost ? (dependency(read, setting.atMost) as number) : Number.POSITIVE_INFINITY;
  const max = Math.min(setting.max, cap);
  const value = raw ? (/^\d+$/.test(raw) ? Number(raw) : Number.NaN) : Math.min(setting.default, cap);
  if (!Number.isInteger(value) || value < setting.min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${setting.min} to ${max} (got "${raw}")`);
  }
  return value * (setting.scale ?? 1);
}

function text(name: string, raw: string, setting: TextSetting, read: Map<string, unknown>): string {
  const value = raw || (setting.whenUnset === 'required' ? undefined : setting.default);
  if (value === undefined) throw new ConfigError(`${name} is required`);
  if (setting.differsFrom && value === dependency(read, setting.differsFrom)) {
    throw new ConfigError(`${name} must differ from ${setting.differsFrom} (both are "${value}")`);
  }
  return setting.lowerCase ? value.toLowerCase() : value;
}

/** ISO 3166-1 alpha-2 codes, comma-separated; empty or unset: SMS goes nowhere. */
function countries(name: string, raw: string): string[] {
  const list = raw
    .split(',')
    .map((code) => code.trim().toUpperCase())
    .filter(Boolean);
  const bad = list.find((code) => !/^[A-Z]{2}$/.test(code));
  if (bad) {
    throw new ConfigError(`${name} must list ISO 3166 alpha-2 country codes such as US,CA (got "${bad}")`);
  }
  return list;
}

function dependency(read: Map<string, unknown>, variable: string): unknown {
  // settings.ts lists a row after the one it depends on, in the same section: a bug there, not a bad value.
  if (!read.has(variable)) throw new Error(`settings.ts must list ${variable} before the rows that use it`);
  return read.get(variable);
}

function deepFreeze<T>(value: T): T {
  for (const child of Object.values(value as object)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}

/**
 * A variable the template wires to a resource (a table's name, the state machine's ARN, a secret's
 * id), trimmed. Only the functions that use one are given it, so each reads its own at cold start.
 */
export function requireVariable(env: Environment, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is required by this function`);
  return value;
}

/** The variable that names each secret's id (an ARN or name, never the value). */
const SECRET_ID_VARIABLES = {
  codePepper: 'CODE_PEPPER_SECRET_ID',
  signingKeySeed: 'SIGNING_KEY_SECRET_ID',
  captcha: 'CAPTCHA_SECRET_ID',
  proxy: 'PROXY_SECRET_ID',
  auditKey: 'AUDIT_KEY_SECRET_ID',
} as const;

export type SecretName = keyof typeof SECRET_ID_VARIABLES;

/** Read a secret's id with `requireVariable(env, secretIdVariable(secret))`. */
export function secretIdVariable(secret: SecretName): string {
  return SECRET_ID_VARIABLES[secret];
}
