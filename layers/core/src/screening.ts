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
  refusedBy,
  ServiceUnavailable,
} from './errors.ts';
import { type Channel, type Identifier, screeningKey } from './identifier.ts';
import { assessLockout, type LockoutDeps } from './lockout.ts';
import type { CaptchaVerifier, CounterStore, DenylistStore, Source } from './ports.ts';
import { assessBudgets, sendSpend } from './rate-limits.ts';

/** What screening says about a send, for the steps after it: `elevated` asks for captcha. */
export type SendRisk = { elevated: boolean };

/**
 * Refuses a send while a lockout lock blocks it or one of its budgets is already spent, counting
 * nothing. It is risky when a budget is past half or the identifier is under attack.
 */
export async function assessSend(
  deps: {
    counters: CounterStore;
    locks: LockoutDeps['locks'];
    config: Pick<Config, 'rateLimit' | 'lockout' | 'captcha'>;
  },
  input: { identifier: Identifier; source: Source; now: number },
): Promise<SendRisk> {
  const lockout = await assessLockout(deps, screeningKey(input.identifier), input.source, input.now);
  const spend = sendSpend(deps.config.rateLimit, input.identifier, input.source, input.now);
  const budgets = await assessBudgets({ counters: deps.counters, config: deps.config.rateLimit }, spend);
  return { elevated: budgets.elevated || lockout.underAttack };
}

const disposableDomains: Set<string> = MailChecker.blacklist();

/** Premium-rate numbers cost the sender; these calling codes are satellite and global networks. */
const BLOCKED_NUMBER_TYPES = new Set(['PREMIUM_RATE', 'SHARED_COST']);
const BLOCKED_CALLING_CODES = new Set(['870', '881', '882', '883', '888', '979']);

/**
 * Refuses disposable mail domains; for numbers, countries the operator has not allowed for SMS,
 * premium-rate and shared-cost numbers and satellite ranges; then anything on the denylist.
 */
export async function screenIdentifier(
  deps: { denylist: DenylistStore; smsCountries: readonly string[] },
  identifier: Identifier,
): Promise<void> {
  if (identifier.kind === 'email') {
    if (isDisposable(identifier.domain)) throw rejected();
  } else if (
    !identifier.country ||
    !deps.smsCountries.includes(identifier.country) ||
    BLOCKED_CALLING_CODES.has(identifier.callingCode) ||
    (identifier.numberType !== undefined && BLOCKED_NUMBER_TYPES.has(identifier.numberType))
  ) {
    throw rejected();
  }
  await refuseDenied(deps.denylist, identifier);
}

/** The identifier's own entry, or its email domain's: at start, resend and verify alike. */
export async function refuseDenied(denylist: DenylistStore, identifier: Identifier): Promise<void> {
  if ((await denylist.standing(denylistKeys(identifier))).length > 0) throw rejected();
}

/** The denylist keys that block an identifier: its own, and its email domain's. */
export function denylistKeys(identifier: Identifier): string[] {
  return [screeningKey(identifier), ...(identifier.kind === 'email' ? [`domain#${identifier.domain}`] : [])];
}

/** A disposable provider's subdomains are disposable too. */
function isDisposable(domain: string): boolean {
  const labels = domain.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    if (disposableDomains.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}

function rejected(): IdentifierRejected {
  return new IdentifierRejected();
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
