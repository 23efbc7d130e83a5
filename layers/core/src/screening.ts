/**
 * The screening before anything is sent or counted: the lockout and spent budgets, the denylist,
 * the SMS country allow-list and captcha. Each throws the typed error its Fail state is named after.
 */
import MailChecker from 'mailchecker';
import { type CaptchaPolicy, type CaptchaVerdict, refusalOf } from './captcha.ts';
import type { Config } from './config.ts';
import {
  CaptchaInvalid,
  CaptchaRequired,
  IdentifierRejected,
  ProviderUnavailable,
  RateLimited,
  refusedBy,
  ServiceUnavailable,
} from './errors.ts';
import { type Channel, type Identifier, identifierKey, screeningKey } from './identifier.ts';
import { assessLockout, type LockoutDeps } from './lockout.ts';
import type { CaptchaVerifier, CounterStore, DenylistStore, SmsBreakerStore, Source } from './ports.ts';
import { assessBudgets, sendSpend } from './rate-limits.ts';
import { standingTrips } from './sms-breaker.ts';

/**
 * What screening says about a send, for the steps after it: `elevated` asks for captcha;
 * `smsBreaker`, that the SMS-pumping breaker stands tripped over its destination.
 */
export type SendRisk = { elevated: boolean; smsBreaker?: true };

/**
 * Refuses a send while a lockout lock blocks it or one of its budgets is already spent, counting
 * nothing. It is risky when a budget is past half, the identifier is under attack, or the SMS
 * breaker stands tripped over its country or number range. With no captcha provider to ask, a
 * tripped number range refuses the SMS outright, as a spent budget, until the trip lapses.
 */
export async function assessSend(
  deps: {
    counters: CounterStore;
    locks: LockoutDeps['locks'];
    smsBreaker: { store: SmsBreakerStore };
    config: Pick<Config, 'rateLimit' | 'lockout' | 'captcha'>;
  },
  input: { identifier: Identifier; source: Source; now: number },
): Promise<SendRisk> {
  const { identifier, now } = input;
  const spend = sendSpend(deps.config.rateLimit, identifier, input.source, now);
  const reads = [
    assessLockout(deps, screeningKey(identifier), input.source, now),
    assessBudgets({ counters: deps.counters, config: deps.config.rateLimit }, spend),
    identifier.kind === 'phone' ? standingTrips(deps.smsBreaker.store, identifier, now) : [],
  ] as const;
  // Read together, refused in order (a lockout block before a spent budget), none left unobserved.
  await Promise.allSettled(reads);
  const lockout = await reads[0];
  const budgets = await reads[1];
  const trips = await reads[2];
  if (deps.config.captcha.provider !== 'none') {
    return trips.length > 0
      ? { elevated: true, smsBreaker: true }
      : { elevated: budgets.elevated || lockout.underAttack };
  }
  // With nothing to ask, only a number range is refused. One source can trip a quiet country, and a
  // refused country would shut SMS sign-in off for everyone there: that trip alarms, no more.
  const range = trips.find((trip) => trip.scope === 'prefix');
  if (range) throw refusedBy(new RateLimited((range.until - now) / 1000, 'budget'), 'sms-breaker');
  return { elevated: budgets.elevated || lockout.underAttack };
}

const disposableDomains: Set<string> = MailChecker.blacklist();

/** Premium-rate numbers cost the sender; these calling codes are satellite and global networks. */
const BLOCKED_NUMBER_TYPES = new Set(['PREMIUM_RATE', 'SHARED_COST']);
const BLOCKED_CALLING_CODES = new Set(['870', '881', '882', '883', '888', '979']);

/** What one rule says about an identifier that it blocks: its name (the refusal rule) and its facts. */
export type Block = { rule: string; facts: Record<string, string | number> };

export type IdentifierRuleDeps = { denylist: DenylistStore; smsCountries: readonly string[] };

/**
 * A rule that judges the identifier alone. Screening refuses at the first that blocks; `why` (see
 * blocks.ts) reports every one, so both read the same rules.
 */
export type IdentifierRule = (deps: IdentifierRuleDeps, identifier: Identifier) => Promise<Block[]> | Block[];

const disposableDomain: IdentifierRule = (_, identifier) =>
  identifier.kind === 'email' && isDisposable(identifier.domain)
    ? [{ rule: 'disposable-domain', facts: { domain: identifier.domain } }]
    : [];

const smsCountry: IdentifierRule = (deps, identifier) =>
  identifier.kind === 'phone' && !(identifier.country && deps.smsCountries.includes(identifier.country))
    ? [
        {
          rule: 'sms-country',
          facts: { country: identifier.country ?? 'none', allowed: deps.smsCountries.join(',') || 'none' },
        },
      ]
    : [];

const numberType: IdentifierRule = (_, identifier) => {
  if (identifier.kind !== 'phone') return [];
  if (BLOCKED_CALLING_CODES.has(identifier.callingCode))
    return [{ rule: 'number-type', facts: { type: 'satellite', callingCode: identifier.callingCode } }];
  if (identifier.numberType !== undefined && BLOCKED_NUMBER_TYPES.has(identifier.numberType))
    return [{ rule: 'number-type', facts: { type: identifier.numberType.toLowerCase().replace('_', '-') } }];
  return [];
};

const denylisted: IdentifierRule = async (deps, identifier) =>
  (await deps.denylist.standing(denylistKeys(identifier))).map((entry) => ({
    rule: 'denylist',
    facts: {
      key: entry.key,
      reason: entry.reason,
      source: entry.source,
      since: new Date(entry.deniedAt).toISOString(),
      ...(entry.expiresAt === undefined ? {} : { until: new Date(entry.expiresAt).toISOString() }),
    },
  }));

/** Cheapest first: screening stops at the first that blocks, so a disposable domain costs no read. */
export const IDENTIFIER_RULES: readonly IdentifierRule[] = [
  disposableDomain,
  smsCountry,
  numberType,
  denylisted,
];

/**
 * Refuses disposable mail domains; for numbers, countries the operator has not allowed for SMS,
 * premium-rate and shared-cost numbers and satellite ranges; then anything on the denylist.
 */
export async function screenIdentifier(deps: IdentifierRuleDeps, identifier: Identifier): Promise<void> {
  for (const rule of IDENTIFIER_RULES) {
    const [block] = await rule(deps, identifier);
    if (block) throw refusedBy(new IdentifierRejected(), block.rule);
  }
}

/** The identifier's own entry, or its email domain's: at start, resend and verify alike. */
export async function refuseDenied(denylist: DenylistStore, identifier: Identifier): Promise<void> {
  const [block] = await denylisted({ denylist, smsCountries: [] }, identifier);
  if (block) throw refusedBy(new IdentifierRejected(), block.rule);
}

/**
 * The denylist keys that block an identifier: its folded key, the address as typed (entries written
 * before keys folded, or by hand, still block it), and its email domain's.
 */
export function denylistKeys(identifier: Identifier): string[] {
  return [
    ...new Set([screeningKey(identifier), identifierKey(identifier)]),
    ...(identifier.kind === 'email' ? [`domain#${identifier.domain}`] : []),
  ];
}

/** A disposable provider's subdomains are disposable too. */
function isDisposable(domain: string): boolean {
  const labels = domain.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    if (disposableDomains.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}

/** A deployment's captcha: the verifier that asks the provider, and what its answer must show. */
export type Captcha = { verifier: CaptchaVerifier; policy: CaptchaPolicy };

/** `failed-open`: the verifier was down and the policy let an email send go without captcha. */
export type CaptchaOutcome = 'not-needed' | 'passed' | 'failed-open';

/**
 * With no provider configured the step passes every request (see README, "Captcha"). With one, a
 * token is required when `required` (always-mode, or a risky start), and checked whenever sent.
 * When the provider cannot answer, SMS and WhatsApp sends are refused (503): a pumped message costs
 * money. Email sends follow the policy's `outageEmail`.
 */
export async function checkCaptcha(
  captcha: Captcha | undefined,
  input: {
    captchaToken: string | undefined;
    sourceIp: string | undefined;
    required: boolean;
    channel: Channel;
  },
): Promise<CaptchaOutcome> {
  if (!captcha) return 'not-needed';
  if (!input.captchaToken) {
    if (!input.required) return 'not-needed';
    throw refusedBy(new CaptchaRequired(), 'captcha-required');
  }
  let verdict: CaptchaVerdict;
  try {
    verdict = await captcha.verifier.verify(input.captchaToken, input.sourceIp);
  } catch (error) {
    if (!(error instanceof ProviderUnavailable)) throw error;
    if (input.channel === 'email' && captcha.policy.outageEmail === 'fail-open') return 'failed-open';
    throw refusedBy(new ServiceUnavailable(error.message, { cause: error }), 'captcha-unavailable');
  }
  const refusal = refusalOf(verdict, captcha.policy);
  if (refusal)
    throw refusedBy(new CaptchaInvalid(`The captcha answer failed its ${refusal} check`), 'captcha-invalid');
  return 'passed';
}
