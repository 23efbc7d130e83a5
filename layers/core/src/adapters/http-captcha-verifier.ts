import { ProviderUnavailable } from '../errors.ts';
import type { CaptchaVerifier, SecretSource } from '../ports.ts';

/**
 * Turnstile and hCaptcha share one siteverify protocol: a form POST of secret, response and remoteip
 * answered by `{ success: boolean }`.
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

  async verify(token: string, remoteIp: string | undefined): Promise<boolean> {
    const form = new URLSearchParams({ secret: await this.#secret(), response: token });
    if (remoteIp) form.set('remoteip', remoteIp);
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        body: form,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new ProviderUnavailable('The captcha verifier could not be reached', { cause: error });
    }
    if (response.status >= 500 || response.status === 429) {
      throw new ProviderUnavailable(`The captcha verifier answered ${response.status}`);
    }
    const body = (await response.json().catch(() => ({}))) as { success?: unknown };
    return response.ok && body.success === true;
  }
}
