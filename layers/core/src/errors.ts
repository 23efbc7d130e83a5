/**
 * One error family for the whole product. An error's `name` is a contract: the Express workflow's
 * Retry/Catch match it literally, so names are assigned explicitly rather than taken from class
 * names (which a bundler may rename). `code` is the stable value clients see in problem+json.
 */
export abstract class AuthKitError extends Error {
  abstract override readonly name: string;
  abstract readonly code: string;
  abstract readonly status: number;
  /** Only exposed errors reach clients; anything else becomes a generic 500. */
  readonly expose: boolean = true;
  /** Extra response headers (e.g. Retry-After). */
  headers(): Record<string, string> {
    return {};
  }
}

/** Malformed input or a schema violation; `field` names what was wrong. */
export class InvalidRequest extends AuthKitError {
  readonly name = 'InvalidRequest';
  readonly code = 'invalid_request';
  readonly status = 400;
  readonly field: string;
  constructor(field: string, detail: string) {
    super(`${field}: ${detail}`);
    this.field = field;
  }
}

export class PayloadTooLarge extends AuthKitError {
  readonly name = 'PayloadTooLarge';
  readonly code = 'payload_too_large';
  readonly status = 413;
}

export class UnsupportedMediaType extends AuthKitError {
  readonly name = 'UnsupportedMediaType';
  readonly code = 'unsupported_media_type';
  readonly status = 415;
}

export class NotFound extends AuthKitError {
  readonly name = 'NotFound';
  readonly code = 'not_found';
  readonly status = 404;
}

/** The deployment trusts a proxy's headers, and this request did not come through it. */
export class ProxyRequired extends AuthKitError {
  readonly name = 'ProxyRequired';
  readonly code = 'proxy_required';
  readonly status = 403;
  constructor() {
    super('This API is reachable only through its proxy.');
  }
}

export class MethodNotAllowed extends AuthKitError {
  readonly name = 'MethodNotAllowed';
  readonly code = 'method_not_allowed';
  readonly status = 405;
}

const RETRY_AFTER_PATTERN = /retry after (\d+) s/;

/**
 * A rate limit or cool-down was hit. The retry delay travels inside the message because a Lambda
 * error reaches Step Functions only as `{errorType, errorMessage}`; `retryAfterFromCause` reads it back.
 */
export class RateLimited extends AuthKitError {
  readonly name = 'RateLimited';
  readonly code = 'rate_limited';
  readonly status = 429;
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, what = 'Too many requests') {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(`${what}; retry after ${seconds} s`);
    this.retryAfterSeconds = seconds;
  }
  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
  static fromMessage(message: string): RateLimited {
    const match = RETRY_AFTER_PATTERN.exec(message);
    return new RateLimited(match ? Number(match[1]) : 60);
  }
}

export class IdentifierRejected extends AuthKitError {
  readonly name = 'IdentifierRejected';
  readonly code = 'identifier_rejected';
  readonly status = 422;
}

export class CaptchaRequired extends AuthKitError {
  readonly name = 'CaptchaRequired';
  readonly code = 'captcha_required';
  readonly status = 428;
}

export class CaptchaInvalid extends AuthKitError {
  readonly name = 'CaptchaInvalid';
  readonly code = 'captcha_invalid';
  readonly status = 400;
}

/** Permanent delivery failure (the provider refused the message) or retries exhausted. */
export class DeliveryFailed extends AuthKitError {
  readonly name = 'DeliveryFailed';
  readonly code = 'delivery_unavailable';
  readonly status = 503;
}

/** A provider answered 5xx, throttled or was unreachable: the workflow retries this one. */
export class ProviderUnavailable extends AuthKitError {
  readonly name = 'ProviderUnavailable';
  readonly code = 'delivery_unavailable';
  readonly status = 503;
}

/** A dependency (AWS) failed transiently; the client may retry shortly. */
export class ServiceUnavailable extends AuthKitError {
  readonly name = 'ServiceUnavailable';
  readonly code = 'service_unavailable';
  readonly status = 503;
  override headers(): Record<string, string> {
    return { 'Retry-After': '2' };
  }
}

/** The same answer for wrong, expired, used, locked and unknown challenges (no oracle). */
export class InvalidCode extends AuthKitError {
  readonly name = 'InvalidCode';
  readonly code = 'invalid_code';
  readonly status = 401;
  constructor() {
    super('The code is invalid or has expired.');
  }
}

export class InvalidGrant extends AuthKitError {
  readonly name = 'InvalidGrant';
  readonly code = 'invalid_grant';
  readonly status = 401;
  constructor() {
    super('The refresh token is invalid, expired or revoked.');
  }
}

export class ChallengeClosed extends AuthKitError {
  readonly name = 'ChallengeClosed';
  readonly code = 'challenge_closed';
  readonly status = 409;
  constructor() {
    super('This challenge can no longer be resent; start a new sign-in.');
  }
}

/** Errors a failed workflow execution can end with, by the Fail state's error name. */
export const workflowErrors: Record<string, (cause: string) => AuthKitError> = {
  RateLimited: (cause) => RateLimited.fromMessage(cause),
  IdentifierRejected: () => new IdentifierRejected('This identifier cannot be used to sign in.'),
  CaptchaRequired: () => new CaptchaRequired('A captcha token is required for this request.'),
  CaptchaInvalid: () => new CaptchaInvalid('The captcha token was rejected.'),
  DeliveryFailed: () => new DeliveryFailed('The message could not be delivered right now.'),
  ServiceUnavailable: () =>
    new ServiceUnavailable('The sign-in could not be completed right now; try again shortly.'),
};
