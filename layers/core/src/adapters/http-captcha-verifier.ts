import type { CaptchaVerdict } from '../captcha.ts';
import { ProviderUnavailable } from '../errors.ts';
import type { CaptchaVerifier, SecretSource } from '../ports.ts';

/**
 * Error codes that say the verifier, or our call to it, failed rather than the token: our secret
 * missing or refused, a site key of another account, a malformed request, the provider's own
 * fault. Blaming the visitor for them would answer 400 to every sign-in until someone noticed.
 */
const VERIFIER_SIDE_ERRORS = new Set([
  'missing-input-secret',
  'invalid-input-secret',
  'sitekey-secret-mismatch',
  'bad-request',
  'internal-error',
]);

/**
 * Turnstile, hCaptcha and reCAPTCHA share one siteverify protocol: a form POST of secret, response
 * and remoteip, answered by JSON with `success`, `hostname`, `error-codes` and, by provider,
 * `action` and `score`. The answer is returned for the core to judge (captcha.ts); anything that is
 * no answer throws ProviderUnavailable.
 */
export class HttpCaptchaVerifier implements CaptchaVerifier {
  readonly #url: string;
  readonly #secret: SecretSource;
  readonly #timeoutMs: number;

  constructor(options: { url: string; secret: SecretSource; timeoutMs?: number }) {
    this.#url = options.url;
    this.#secret = options.secret;
    this.#timeoutMs = options.timeoutMs ?? 3000;
  }

  async verify(token: string, remoteIp: string | undefined): Promise<CaptchaVerdict> {
    const form = new URLSearchParams({ secret: await this.#secret(), response: token });
    if (remoteIp) form.set('remoteip', remoteIp);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        body: form,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      // Inside the try: a body cut off by the timeout is an outage too.
      text = await response.text();
    } catch (error) {
      throw new ProviderUnavailable('The captcha verifier could not be reached', { cause: error });
    }
    if (response.status >= 500 || response.status === 429) {
      throw new ProviderUnavailable(`The captcha verifier answered ${response.status}`);
    }
    const verdict = verdictOf(text);
    if (!verdict)
      throw new ProviderUnavailable(`The captcha verifier answered ${response.status} without a verdict`);
    const ours = verdict.errorCodes.filter((code) => VERIFIER_SIDE_ERRORS.has(code));
    if (!verdict.success && ours.length > 0) {
      throw new ProviderUnavailable(`The captcha verifier refused the call: ${ours.join(', ')}`);
    }
    return verdict;
  }
}

function verdictOf(text: string): CaptchaVerdict | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const { success, hostname, action, score, 'error-codes': codes } = body as Record<string, unknown>;
  if (typeof success !== 'boolean') return undefined;
  return {
    success,
    hostname: typeof hostname === 'string' ? hostname : undefined,
    action: typeof action === 'string' ? action : undefined,
    score: typeof score === 'number' && Number.isFinite(score) ? score : undefined,
    errorCodes: Array.isArray(codes) ? codes.filter((code): code is string => typeof code === 'string') : [],
  };
}
