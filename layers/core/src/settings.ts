/**
 * Every operator tunable, declared once: the template.yaml Parameter that sets it, the variable a
 * function reads it from, where it lands in the config, its kind, default and bounds, and one line
 * for the README. loadConfig (config.ts) reads through this table; tests/unit/settings.test.ts holds
 * template.yaml's Parameters to it; `npm run docs:settings` writes README's table from it.
 */
import type { Config } from './config.ts';

/** A place in the config: a section and one of its keys. */
type Location = { [S in keyof Config]: { section: S; key: keyof Config[S] & string } }[keyof Config];

type Row = {
  /** template.yaml's Parameter; absent: the template sets the variable itself, or nothing does. */
  parameter?: string;
  /** The environment variable a function reads; absent: the Parameter reaches no function. */
  variable?: string;
  /** Where loadConfig puts the value; absent: something else reads it (the template, Powertools, secrets). */
  at?: Location;
  description: string;
};

export type IntegerSetting = Row & {
  kind: 'integer';
  default: number;
  min: number;
  max: number;
  /** The config holds the value times this (minutes in the template, seconds in the config). */
  scale?: number;
  /** A variable (earlier in the table) whose value caps this one's maximum and its default. */
  atMost?: string;
};

export type TextSetting = Row & {
  kind: 'text';
  /** Absent: the operator must give one. */
  default?: string;
  /** Checked by CloudFormation at deploy only: the local runtime serves http, not https. */
  allowedPattern?: string;
  lowerCase?: true;
  /** `required`: the template always sets it, so a function without it is misdeployed and refuses to start. */
  whenUnset?: 'required';
  /** A variable (earlier in the table) this one must not equal. */
  differsFrom?: string;
};

export type OneOfSetting = Row & {
  kind: 'oneOf';
  values: readonly string[] | readonly number[];
  default: string | number;
};

/** ISO 3166-1 alpha-2 codes, comma-separated. */
export type CountriesSetting = Row & {
  kind: 'countries';
  default: string;
  /** `empty`: a function not given the list sends no SMS (fails closed) rather than take the default. */
  whenUnset?: 'empty';
};

/**
 * Absolute URLs, comma-separated, each https or http on a loopback host (a developer's machine);
 * with `single`, at most one, without a query. Checked at cold start (config.ts) as well as by
 * CloudFormation.
 */
export type UrlsSetting = Row & {
  kind: 'urls';
  default: '';
  single?: true;
};

export type Setting = IntegerSetting | TextSetting | OneOfSetting | CountriesSetting | UrlsSetting;

/** What CloudFormation checks of a country list; functions also take lower case and spaces. */
export const COUNTRY_LIST_PATTERN = '^([A-Z]{2}(,[A-Z]{2})*)?$';

/** A Secrets Manager secret's name (not an ARN: the functions' permission is the name's ARN pattern). */
const SECRET_NAME_PATTERN = '^[A-Za-z0-9/_+=.@-]*$';

/** Hostnames, lower case, comma-separated; empty is allowed here, and refused with a provider. */
export const CAPTCHA_HOSTNAMES_PATTERN = '^([A-Za-z0-9.-]+(,[A-Za-z0-9.-]+)*)?$';

/** One URL as CloudFormation checks it: https, or http on loopback; never a fragment (nor a comma). */
const URL_PATTERN = String.raw`(https://[^\s,#]+|http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?(/[^\s,#]*)?)`;

/** What CloudFormation checks of a `urls` setting's value. */
export function urlsPattern(setting: UrlsSetting): string {
  // A base URL takes no query: paths are appended to it.
  const url = setting.single ? URL_PATTERN.replaceAll(',#', ',#?') : URL_PATTERN;
  return setting.single ? `^${url}?$` : `^(${url}(,${url})*)?$`;
}

const DAY = 86_400;

// In template.yaml's order, except where a row depends on a later one (`atMost`, `differsFrom`).
export const SETTINGS: readonly Setting[] = [
  {
    parameter: 'StageName',
    kind: 'text',
    default: 'live',
    allowedPattern: '^[a-zA-Z0-9_]+$',
    description: "API Gateway stage name (the API's, not a function's).",
  },
  {
    parameter: 'ProductName',
    variable: 'PRODUCT_NAME',
    at: { section: 'product', key: 'name' },
    kind: 'text',
    default: 'AuthKit',
    description: 'Name shown in messages and emails.',
  },
  {
    parameter: 'EmailFrom',
    variable: 'EMAIL_FROM',
    at: { section: 'email', key: 'from' },
    kind: 'text',
    default: 'login@example.com',
    allowedPattern: '^[^@\\s]+@[^@\\s]+$',
    whenUnset: 'required',
    description: "Sender address; it or its domain must be a verified SES identity in the stack's region.",
  },
  {
    variable: 'SES_CONFIGURATION_SET',
    at: { section: 'email', key: 'configurationSet' },
    kind: 'text',
    default: '',
    description: "Set by the template to the stack's SES configuration set.",
  },
  {
    parameter: 'SmsSenderId',
    variable: 'SMS_SENDER_ID',
    at: { section: 'sms', key: 'senderId' },
    kind: 'text',
    default: '',
    description: 'Alphanumeric SMS sender id, where the destination country allows one.',
  },
  {
    parameter: 'CodeLength',
    variable: 'CODE_LENGTH',
    at: { section: 'code', key: 'length' },
    kind: 'integer',
    default: 6,
    min: 6,
    max: 8,
    description: 'Digits of a one-time code.',
  },
  {
    parameter: 'CodeTtlSeconds',
    variable: 'CODE_TTL_SECONDS',
    at: { section: 'code', key: 'ttlSeconds' },
    kind: 'integer',
    default: 300,
    min: 60,
    max: 600,
    description: 'Seconds a code stays valid.',
  },
  {
    parameter: 'CodeMaxAttempts',
    variable: 'CODE_MAX_ATTEMPTS',
    at: { section: 'code', key: 'maxAttempts' },
    kind: 'integer',
    default: 5,
    min: 1,
    max: 10,
    description: 'Wrong codes a challenge takes before it is spent.',
  },
  {
    parameter: 'ResendCooldownSeconds',
    variable: 'RESEND_COOLDOWN_SECONDS',
    at: { section: 'code', key: 'resendCooldownSeconds' },
    kind: 'integer',
    default: 30,
    min: 30,
    max: 600,
    description: 'Seconds between two sends of one challenge.',
  },
  {
    parameter: 'MaxSendsPerChallenge',
    variable: 'MAX_SENDS_PER_CHALLENGE',
    at: { section: 'code', key: 'maxSends' },
    kind: 'integer',
    default: 5,
    min: 1,
    max: 5,
    description: 'Sends of one challenge, the first included.',
  },
  {
    parameter: 'LockoutSourceFailures',
    variable: 'LOCKOUT_SOURCE_FAILURES',
    at: { section: 'lockout', key: 'sourceFailures' },
    kind: 'integer',
    default: 10,
    min: 3,
    max: 20,
    description: 'Wrong codes in a row from one /24 (/48) that block it for the identifier.',
  },
  {
    parameter: 'IdentifierFailureLimit',
    variable: 'IDENTIFIER_FAILURE_LIMIT',
    at: { section: 'lockout', key: 'identifierFailureLimit' },
    kind: 'integer',
    default: 100,
    // From 40, twice the largest per-network limit: escalation (two networks' worth) comes first.
    min: 40,
    // NIST SP 800-63B-4's ceiling.
    max: 100,
    description: 'Wrong codes in a row from all networks that block the identifier for 30 days.',
  },
  {
    parameter: 'LockoutBlockMinutes',
    variable: 'LOCKOUT_BLOCK_MINUTES',
    at: { section: 'lockout', key: 'blockSeconds' },
    kind: 'integer',
    default: 15,
    min: 1,
    max: 1440,
    scale: 60,
    description: 'Minutes of the first block; each next block of the same lock doubles, up to a day.',
  },
  {
    parameter: 'RateLimitWindowSeconds',
    variable: 'RATE_LIMIT_WINDOW_SECONDS',
    at: { section: 'rateLimit', key: 'windowSeconds' },
    kind: 'integer',
    default: 3600,
    min: 60,
    max: DAY,
    description: 'Seconds of the window every budget below counts in.',
  },
  {
    parameter: 'RateLimitPerIdentifier',
    variable: 'RATE_LIMIT_PER_IDENTIFIER',
    at: { section: 'rateLimit', key: 'perIdentifier' },
    kind: 'integer',
    default: 10,
    min: 1,
    max: 1000,
    description: 'Starts per identifier per window.',
  },
  {
    parameter: 'RateLimitPerIp',
    variable: 'RATE_LIMIT_PER_IP',
    at: { section: 'rateLimit', key: 'perIp' },
    kind: 'integer',
    default: 100,
    min: 1,
    max: 1_000_000,
    description: 'Starts per source IP per window.',
  },
  {
    parameter: 'RateLimitPerNetwork',
    variable: 'RATE_LIMIT_PER_NETWORK',
    at: { section: 'rateLimit', key: 'perNetwork' },
    kind: 'integer',
    default: 300,
    min: 1,
    max: 1_000_000,
    description: 'Starts per /24 (IPv6: /48) network per window.',
  },
  {
    parameter: 'RateLimitPerPhonePrefix',
    variable: 'RATE_LIMIT_PER_PHONE_PREFIX',
    at: { section: 'rateLimit', key: 'perPhonePrefix' },
    kind: 'integer',
    default: 30,
    min: 1,
    max: 100_000,
    description:
      'SMS sends (starts and resends) per number prefix (E.164 minus the last 4 digits) per window.',
  },
  {
    parameter: 'RateLimitPerCountry',
    variable: 'RATE_LIMIT_PER_COUNTRY',
    at: { section: 'rateLimit', key: 'perCountry' },
    kind: 'integer',
    default: 1000,
    min: 1,
    max: 10_000_000,
    description: 'SMS sends (starts and resends) per destination country per window.',
  },
  {
    parameter: 'RateLimitGlobal',
    variable: 'RATE_LIMIT_GLOBAL',
    at: { section: 'rateLimit', key: 'global' },
    kind: 'integer',
    default: 20_000,
    min: 1,
    max: 100_000_000,
    description: 'Starts per window for the whole deployment (one counter item).',
  },
  {
    parameter: 'RateLimitPerAsn',
    variable: 'RATE_LIMIT_PER_ASN',
    at: { section: 'rateLimit', key: 'perAsn' },
    kind: 'integer',
    default: 5000,
    min: 1,
    max: 10_000_000,
    description: 'Starts per autonomous system per window (needs TrustedAsnHeader).',
  },
  {
    parameter: 'SmsBreakerWindowMinutes',
    variable: 'SMS_BREAKER_WINDOW_MINUTES',
    at: { section: 'smsBreaker', key: 'windowSeconds' },
    kind: 'integer',
    default: 60,
    min: 10,
    max: 1440,
    scale: 60,
    description: 'Minutes of the sliding window the SMS-pumping breaker compares sends and sign-ins in.',
  },
  {
    parameter: 'SmsBreakerMinSends',
    variable: 'SMS_BREAKER_MIN_SENDS',
    at: { section: 'smsBreaker', key: 'minSends' },
    kind: 'integer',
    default: 100,
    min: 20,
    max: 1_000_000,
    description: 'SMS sends in the window to a country or number range before the breaker judges it.',
  },
  {
    parameter: 'SmsBreakerMinConversionPercent',
    variable: 'SMS_BREAKER_MIN_CONVERSION_PERCENT',
    at: { section: 'smsBreaker', key: 'minConversionPercent' },
    kind: 'integer',
    default: 20,
    min: 1,
    max: 90,
    description: 'Sign-ins per 100 SMS sends below which a country or number range needs captcha.',
  },
  {
    parameter: 'SmsBreakerCoolOffMinutes',
    variable: 'SMS_BREAKER_COOL_OFF_MINUTES',
    at: { section: 'smsBreaker', key: 'coolOffSeconds' },
    kind: 'integer',
    default: 60,
    min: 5,
    max: 1440,
    scale: 60,
    description: 'Minutes a tripped country or number range needs captcha before it is judged afresh.',
  },
  {
    parameter: 'TrustedAsnHeader',
    variable: 'TRUSTED_ASN_HEADER',
    at: { section: 'proxy', key: 'asnHeader' },
    kind: 'text',
    default: '',
    allowedPattern: '^[A-Za-z0-9-]*$',
    // Node lower-cases the names of the headers it receives.
    lowerCase: true,
    description:
      "Header a trusted proxy sets to the client's ASN, e.g. `CloudFront-Viewer-ASN`; empty: none.",
  },
  {
    parameter: 'ProxySecretName',
    variable: 'PROXY_SECRET_ID',
    kind: 'text',
    default: '',
    allowedPattern: SECRET_NAME_PATTERN,
    description: 'Secret the proxy sends as `X-AuthKit-Proxy-Secret`; required with TrustedAsnHeader.',
  },
  {
    parameter: 'SmsAllowedCountries',
    variable: 'SMS_ALLOWED_COUNTRIES',
    at: { section: 'smsCountries', key: 'allowed' },
    kind: 'countries',
    default: 'US',
    whenUnset: 'empty',
    description: 'ISO 3166 alpha-2 codes SMS may go to, comma-separated; empty: no SMS.',
  },
  {
    parameter: 'SmsProvider',
    variable: 'SMS_PROVIDER',
    at: { section: 'sms', key: 'provider' },
    kind: 'oneOf',
    values: ['sns', 'end-user-messaging'],
    default: 'sns',
    description: 'SMS by SNS, or by End User Messaging SMS (its delivery-status events reach the denylist).',
  },
  {
    variable: 'SMS_CONFIGURATION_SET',
    at: { section: 'sms', key: 'configurationSet' },
    kind: 'text',
    default: '',
    description: "Set by the template to the stack's End User Messaging SMS configuration set.",
  },
  {
    parameter: 'SmsOriginationIdentity',
    variable: 'SMS_ORIGINATION_IDENTITY',
    at: { section: 'sms', key: 'originationIdentity' },
    kind: 'text',
    default: '',
    // SendTextMessage's pattern for OriginationIdentity, or empty.
    allowedPattern: '^[A-Za-z0-9_:/+-]*$',
    description: 'End User Messaging only: phone number, sender id or pool to send from; empty: any.',
  },
  {
    parameter: 'SmsProtectConfigurationId',
    kind: 'text',
    default: '',
    allowedPattern: '^[A-Za-z0-9_:/-]*$',
    description: 'End User Messaging only: protect configuration (country rules) of its configuration set.',
  },
  {
    parameter: 'CaptchaProvider',
    variable: 'CAPTCHA_PROVIDER',
    at: { section: 'captcha', key: 'provider' },
    kind: 'oneOf',
    values: ['none', 'turnstile', 'hcaptcha', 'recaptcha'],
    default: 'none',
    description: 'Captcha provider (`recaptcha` is reCAPTCHA v3); `none` passes every send.',
  },
  {
    parameter: 'CaptchaMode',
    variable: 'CAPTCHA_MODE',
    at: { section: 'captcha', key: 'mode' },
    kind: 'oneOf',
    values: ['escalate', 'always'],
    default: 'escalate',
    description: 'With a provider: a captcha on risky sends only (`escalate`) or on every start and resend.',
  },
  {
    parameter: 'CaptchaSecretName',
    variable: 'CAPTCHA_SECRET_ID',
    kind: 'text',
    default: '',
    allowedPattern: SECRET_NAME_PATTERN,
    description: "Secret holding the provider's secret key; required unless the provider is `none`.",
  },
  {
    parameter: 'CaptchaHostnames',
    variable: 'CAPTCHA_HOSTNAMES',
    at: { section: 'captchaCheck', key: 'hostnames' },
    kind: 'text',
    default: '',
    allowedPattern: CAPTCHA_HOSTNAMES_PATTERN,
    lowerCase: true,
    description:
      "Hostnames of the app's pages, comma-separated, e.g. `app.example.com`; a token solved elsewhere is refused. Required unless the provider is `none`.",
  },
  {
    parameter: 'CaptchaAction',
    variable: 'CAPTCHA_ACTION',
    at: { section: 'captchaCheck', key: 'action' },
    kind: 'text',
    default: 'authkit_start',
    // reCAPTCHA's action alphabet; Turnstile's also allows hyphens, which reCAPTCHA would refuse.
    allowedPattern: '^[A-Za-z0-9_/]{1,32}$',
    description:
      'The action the app names when it asks for a token (reCAPTCHA `execute`, Turnstile `action`); a token for another action is refused.',
  },
  {
    parameter: 'RecaptchaMinScorePercent',
    variable: 'RECAPTCHA_MIN_SCORE_PERCENT',
    at: { section: 'captchaCheck', key: 'recaptchaMinScorePercent' },
    kind: 'integer',
    default: 50,
    // 0 would pass every bot; above 90 the top scores reCAPTCHA gives people (0.9) would fail.
    min: 10,
    max: 90,
    description: "reCAPTCHA v3's lowest passing score, in hundredths: 50 passes 0.5 and above.",
  },
  {
    parameter: 'CaptchaOutageEmail',
    variable: 'CAPTCHA_OUTAGE_EMAIL',
    at: { section: 'captchaCheck', key: 'outageEmail' },
    kind: 'oneOf',
    values: ['fail-closed', 'fail-open'],
    default: 'fail-closed',
    description:
      'Email sends while the captcha verifier is down: refused (503), or sent without captcha (metric `CaptchaFailOpen`). SMS always fails closed.',
  },
  {
    parameter: 'MagicLinkRedirectUris',
    variable: 'MAGIC_LINK_REDIRECT_URIS',
    at: { section: 'magicLinks', key: 'redirectUris' },
    kind: 'urls',
    default: '',
    description:
      "The app's pages a magic link may continue to, comma-separated; start's `redirectUri` must equal one. Empty: no magic links.",
  },
  {
    parameter: 'MagicLinkBaseUrl',
    variable: 'MAGIC_LINK_BASE_URL',
    at: { section: 'magicLinkOrigin', key: 'baseUrl' },
    kind: 'urls',
    default: '',
    single: true,
    description:
      "The API's public URL magic links open (`<base>/v1/auth/magic-link`), e.g. the `ApiUrl` output; required with magic links.",
  },
  {
    parameter: 'TokenIssuer',
    variable: 'TOKEN_ISSUER',
    at: { section: 'tokens', key: 'issuer' },
    kind: 'text',
    allowedPattern: '^https://[^\\s]+$',
    whenUnset: 'required',
    description: 'Required: `iss` of issued tokens, e.g. `https://auth.example.com`.',
  },
  {
    parameter: 'SigningKeyRotationDays',
    kind: 'integer',
    default: 90,
    // Secrets Manager rotates every 1 to 1000 days; past a year a key outlives most audit periods.
    min: 1,
    max: 365,
    description:
      'Days between automatic rotations of the ES256 signing key (Secrets Manager rotation of `SigningKeySecret`); see docs/runbook.md.',
  },
  {
    parameter: 'TokenAudience',
    variable: 'TOKEN_AUDIENCE',
    at: { section: 'tokens', key: 'audience' },
    kind: 'text',
    default: 'authkit',
    whenUnset: 'required',
    description: '`aud` of access tokens: the resource servers (APIs) that accept them.',
  },
  {
    parameter: 'IdTokenAudience',
    variable: 'ID_TOKEN_AUDIENCE',
    at: { section: 'tokens', key: 'idTokenAudience' },
    kind: 'text',
    default: 'authkit-app',
    // A shared audience would let a resource server that checks `aud` but not `typ` accept an ID
    // token, which apps hand around far more freely, as an access token.
    differsFrom: 'TOKEN_AUDIENCE',
    description: '`aud` of ID tokens: the app that signs users in.',
  },
  {
    parameter: 'AccessTokenTtlSeconds',
    variable: 'ACCESS_TOKEN_TTL_SECONDS',
    at: { section: 'tokens', key: 'accessTtlSeconds' },
    kind: 'integer',
    default: 900,
    min: 60,
    max: 3600,
    description: 'Seconds an access token lives.',
  },
  {
    parameter: 'RefreshTokenAbsoluteSeconds',
    variable: 'REFRESH_TOKEN_ABSOLUTE_SECONDS',
    at: { section: 'tokens', key: 'refreshAbsoluteSeconds' },
    kind: 'integer',
    default: 30 * DAY,
    min: 3600,
    max: 90 * DAY,
    description: 'Seconds a session lives from its sign-in, however much it is used.',
  },
  {
    parameter: 'RefreshTokenIdleSeconds',
    variable: 'REFRESH_TOKEN_IDLE_SECONDS',
    at: { section: 'tokens', key: 'refreshIdleSeconds' },
    kind: 'integer',
    default: 7 * DAY,
    min: 3600,
    max: 90 * DAY,
    // An idle lifetime past the absolute one would never apply; the default gives way to a shorter one.
    atMost: 'REFRESH_TOKEN_ABSOLUTE_SECONDS',
    description: 'Seconds a session lives unused.',
  },
  {
    parameter: 'BounceDenylistDays',
    variable: 'BOUNCE_DENYLIST_DAYS',
    at: { section: 'feedback', key: 'bounceSeconds' },
    kind: 'integer',
    default: 180,
    min: 0,
    max: 3650,
    scale: DAY,
    description: 'Days a Permanent bounce keeps the address on the denylist; 0: bounces deny nothing.',
  },
  {
    parameter: 'ComplaintDenylistDays',
    variable: 'COMPLAINT_DENYLIST_DAYS',
    at: { section: 'feedback', key: 'complaintSeconds' },
    kind: 'integer',
    default: 365,
    min: 0,
    max: 3650,
    scale: DAY,
    description: 'Days a spam complaint keeps the address on the denylist; 0: complaints deny nothing.',
  },
  {
    parameter: 'SmsFailureDenylistDays',
    variable: 'SMS_FAILURE_DENYLIST_DAYS',
    at: { section: 'feedback', key: 'smsFailureSeconds' },
    kind: 'integer',
    // Carriers recycle numbers after a few months: a dead number may reach someone new by then.
    default: 30,
    min: 0,
    max: 365,
    scale: DAY,
    description:
      'Days an SMS refused for good keeps the number on the denylist; 0: SMS failures deny nothing.',
  },
  {
    parameter: 'AuditRetentionDays',
    variable: 'AUDIT_RETENTION_DAYS',
    at: { section: 'audit', key: 'retentionDays' },
    kind: 'integer',
    default: 365,
    min: 1,
    max: 3653,
    description: 'Days audit records (refusals, operator changes) are kept before DynamoDB expires them.',
  },
  {
    parameter: 'LogLevel',
    variable: 'POWERTOOLS_LOG_LEVEL',
    kind: 'oneOf',
    values: ['DEBUG', 'INFO', 'WARN', 'ERROR'],
    default: 'INFO',
    description: "The functions' log level (read by Powertools).",
  },
  {
    parameter: 'LogRetentionDays',
    kind: 'oneOf',
    // CloudWatch Logs' retention periods.
    values: [
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ],
    default: 30,
    description: "Days CloudWatch keeps the functions', the workflow's and the API's logs.",
  },
  {
    parameter: 'CreateApiGatewayAccountRole',
    kind: 'oneOf',
    values: ['true', 'false'],
    default: 'true',
    description: "`true`: create the region's API Gateway logs role (kept); `false`: the account has one.",
  },
];
