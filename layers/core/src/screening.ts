/**
 * The workflow's screening steps before anything is sent: rate limits, the denylist and captcha.
 * Each throws the typed error its Fail state is named after.
 */
import MailChecker from 'mailchecker';
import type { Config } from './config.ts';
import { CaptchaInvalid, CaptchaRequired, IdentifierRejected, RateLimited } from './errors.ts';
import { type Identifier, identifierKey } from './identifier.ts';
import type { CaptchaVerifier, CounterStore, DenylistStore } from './ports.ts';

export async function enforceRateLimits(
  deps: { counters: CounterStore; config: Config['rateLimit'] },
  input: { identifier: Identifier; sourceIp: string | undefined; now: number },
): Promise<void> {
  const { counters, config } = deps;
  const checks = [
    counters.hit(
      `id#${identifierKey(input.identifier)}`,
      config.perIdentifier,
      config.windowSeconds,
      input.now,
    ),
  ];
  if (input.sourceIp)
    checks.push(counters.hit(`ip#${input.sourceIp}`, config.perIp, config.windowSeconds, input.now));
  const hits = await Promise.all(checks);
  const denied = hits.filter((hit) => !hit.allowed);
  if (denied.length > 0) throw new RateLimited(Math.max(...denied.map((hit) => hit.retryAfterMs)) / 1000);
}

const disposableDomains: Set<string> = MailChecker.blacklist();

/** Premium-rate numbers cost the sender; these calling codes are satellite and global networks. */
const BLOCKED_NUMBER_TYPES = new Set(['PREMIUM_RATE', 'SHARED_COST']);
const BLOCKED_CALLING_CODES = new Set(['870', '881', '882', '883', '888', '979']);

export async function screenIdentifier(
  deps: { denylist: DenylistStore },
  identifier: Identifier,
): Promise<void> {
  const keys = [identifierKey(identifier)];
  if (identifier.kind === 'email') {
    if (isDisposable(identifier.domain)) throw rejected();
    keys.push(`domain#${identifier.domain}`);
  } else if (
    BLOCKED_CALLING_CODES.has(identifier.callingCode) ||
    (identifier.numberType !== undefined && BLOCKED_NUMBER_TYPES.has(identifier.numberType))
  ) {
    throw rejected();
  }
  if (await deps.denylist.findDenied(keys)) throw rejected();
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
  return new IdentifierRejected('This identifier cannot be used to sign in.');
}

/** With no provider configured the step passes every request (see README, "Captcha"). */
export async function checkCaptcha(
  verifier: CaptchaVerifier | undefined,
  input: { captchaToken: string | undefined; sourceIp: string | undefined },
): Promise<void> {
  if (!verifier) return;
  if (!input.captchaToken) throw new CaptchaRequired('A captcha token is required for this request.');
  if (!(await verifier.verify(input.captchaToken, input.sourceIp))) {
    throw new CaptchaInvalid('The captcha token was rejected.');
  }
}
