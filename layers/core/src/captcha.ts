/**
 * What a captcha provider's answer must show before a send may go: the provider accepted the
 * token, it was solved on one of the app's own hostnames, for AuthKit's action, and (reCAPTCHA v3,
 * which scores rather than decides) with a score at or above the threshold. A token bought from a
 * solving farm for someone else's site, or lifted from another form of the app, fails here.
 */
import type { CaptchaOutagePolicy, CaptchaProvider, Config } from './config.ts';
import { ConfigError } from './config.ts';

/** A provider's siteverify answer, as the adapter read it. */
export type CaptchaVerdict = {
  success: boolean;
  hostname?: string | undefined;
  action?: string | undefined;
  /** reCAPTCHA v3 only: 0.0 (a bot) to 1.0 (a person). */
  score?: number | undefined;
  errorCodes: readonly string[];
};

export type CaptchaPolicy = Readonly<{
  provider: Exclude<CaptchaProvider, 'none'>;
  hostnames: readonly string[];
  action: string;
  minScorePercent: number;
  outageEmail: CaptchaOutagePolicy;
}>;

/** Why an answer was refused; for logs and tests, never for the client. */
export type CaptchaRefusal = 'rejected' | 'hostname' | 'action' | 'score';

const HOSTNAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/**
 * The policy of a deployment with a provider, checked at cold start: with no hostnames every site
 * that embeds the site key would pass, so none is a misconfiguration, not a default.
 */
export function captchaPolicy(
  provider: Exclude<CaptchaProvider, 'none'>,
  check: Config['captchaCheck'],
): CaptchaPolicy {
  const hostnames = check.hostnames
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (hostnames.length === 0) {
    throw new ConfigError(`CAPTCHA_HOSTNAMES is required with CAPTCHA_PROVIDER ${provider}`);
  }
  const bad = hostnames.find((name) => !HOSTNAME.test(name));
  if (bad !== undefined) {
    throw new ConfigError(`CAPTCHA_HOSTNAMES must list hostnames such as app.example.com (got "${bad}")`);
  }
  return Object.freeze({
    provider,
    hostnames: Object.freeze(hostnames),
    action: check.action,
    minScorePercent: check.recaptchaMinScorePercent,
    outageEmail: check.outageEmail,
  });
}

/** Undefined when the answer lets the send go; otherwise the first check it failed. */
export function refusalOf(verdict: CaptchaVerdict, policy: CaptchaPolicy): CaptchaRefusal | undefined {
  if (!verdict.success) return 'rejected';
  if (!verdict.hostname || !policy.hostnames.includes(verdict.hostname.toLowerCase())) return 'hostname';
  if (policy.provider === 'recaptcha') {
    if (verdict.action !== policy.action) return 'action';
    // Hundredths compared as integers: 0.57 * 100 is 56.99999999999999.
    if (verdict.score === undefined || Math.round(verdict.score * 100) < policy.minScorePercent) {
      return 'score';
    }
  }
  // A Turnstile widget need not name an action; one that names another is another form's token.
  if (policy.provider === 'turnstile' && verdict.action && verdict.action !== policy.action) return 'action';
  return undefined;
}
