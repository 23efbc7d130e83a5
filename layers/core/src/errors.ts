/**
 * One error family for the whole product, declared once in `ERRORS`: each error's name, the code
 * clients see in problem+json, its HTTP status and title, and its public detail.
 *
 * An error's `name` is a contract: the Express workflow's Retry/Catch and Fail states match it
 * literally, so names are literals rather than class names (which a bundler may rename). What an
 * error carries beyond its name (the retry delay, the rule that fired) is data: `data()` holds it,
 * and it crosses the workflow as JSON (`toWorkflowError`, `fromWorkflowFailure`), never as text.
 */
export const ERRORS = {
  InvalidRequest: {
    status: 400,
    code: 'invalid_request',
    title: 'Bad Request',
    detail: 'The request is invalid.',
  },
  CaptchaInvalid: {
    status: 400,
    code: 'captcha_invalid',
    title: 'Bad Request',
    detail: 'The captcha token was rejected.',
  },
  InvalidCode: {
    status: 401,
    code: 'invalid_code',
    title: 'Unauthorized',
    detail: 'The code is invalid or has expired.',
  },
  InvalidGrant: {
    status: 401,
    code: 'invalid_grant',
    title: 'Unauthorized',
    detail: 'The refresh token is invalid, expired or revoked.',
  },
  InvalidLink: {
    status: 401,
    code: 'invalid_link',
    title: 'Unauthorized',
    detail:
      'The sign-in link is invalid, has expired, was used, or was opened in another browser than the one that asked for it; use the code from the same email instead.',
  },
  Unauthorized: {
    status: 401,
    code: 'unauthorized',
    title: 'Unauthorized',
    detail: 'A valid access token is required.',
  },
  ProxyRequired: {
    status: 403,
    code: 'proxy_required',
    title: 'Forbidden',
    detail: 'This API is reachable only through its proxy.',
  },
  NotFound: {
    status: 404,
    code: 'not_found',
    title: 'Not Found',
    detail: 'There is no such resource on this account.',
  },
  DeviceMismatch: {
    status: 409,
    code: 'device_mismatch',
    title: 'Conflict',
    detail: 'The device described is not the device this session signed in on.',
  },
  ChallengeClosed: {
    status: 409,
    code: 'challenge_closed',
    title: 'Conflict',
    detail: 'This challenge can no longer be resent; start a new sign-in.',
  },
  PayloadTooLarge: {
    status: 413,
    code: 'payload_too_large',
    title: 'Content Too Large',
    detail: 'The body must be at most 16384 bytes.',
  },
  UnsupportedMediaType: {
    status: 415,
    code: 'unsupported_media_type',
    title: 'Unsupported Media Type',
    detail: 'Send the body as application/json.',
  },
  IdentifierRejected: {
    status: 422,
    code: 'identifier_rejected',
    title: 'Unprocessable Content',
    detail: 'This identifier cannot be used to sign in.',
  },
  CaptchaRequired: {
    status: 428,
    code: 'captcha_required',
    title: 'Precondition Required',
    detail: 'A captcha token is required for this request.',
  },
  RateLimited: {
    status: 429,
    code: 'rate_limited',
    title: 'Too Many Requests',
    detail: 'Too many requests.',
  },
  DeliveryFailed: {
    status: 503,
    code: 'delivery_unavailable',
    title: 'Service Unavailable',
    detail: 'The message could not be delivered right now.',
  },
  ProviderUnavailable: {
    status: 503,
    code: 'delivery_unavailable',
    title: 'Service Unavailable',
    detail: 'The message could not be delivered right now.',
  },
  ServiceUnavailable: {
    status: 503,
    code: 'service_unavailable',
    title: 'Service Unavailable',
    detail: 'The sign-in could not be completed right now; try again shortly.',
  },
} as const satisfies Record<string, { status: number; code: string; title: string; detail: string }>;

export type ErrorName = keyof typeof ERRORS;

/** What any other failure answers: the details stay in the logs, under the request id. */
export const INTERNAL_ERROR = {
  status: 500,
  code: 'internal_error',
  title: 'Internal Server Error',
  detail: 'Something went wrong on our side. Quote the request id if it persists.',
} as const;

/**
 * `message` is for the logs and may name internals; clients see `detail`, from the table unless the
 * error carries its own public detail (InvalidRequest, RateLimited).
 */
export abstract class AuthKitError extends Error {
  abstract override readonly name: ErrorName;
  get code(): string {
    return ERRORS[this.name].code;
  }
  get status(): number {
    return ERRORS[this.name].status;
  }
  get title(): string {
    return ERRORS[this.name].title;
  }
  get detail(): string {
    return ERRORS[this.name].detail;
  }
  /** Structured fields beyond the name; they travel through the workflow and into problem+json. */
  data(): Record<string, string | number> {
    return {};
  }
  /** Extra response headers (e.g. Retry-After). */
  headers(): Record<string, string> {
    return {};
  }
  /**
   * The rule behind a refusal (`denylist`, `sms-country`, `sms-breaker`, …), for the operator's
   * metrics and audit records only: it crosses the workflow but never reaches a client, who must
   * not learn which rule to evade. Set it with `refusedBy`.
   */
  refusalRule?: string;
}

/** Names the rule behind the refusal `error` (see AuthKitError.refusalRule) and returns it, for `throw`. */
export function refusedBy<E extends AuthKitError>(error: E, rule: string): E {
  error.refusalRule = rule;
  return error;
}

/** Malformed input or a schema violation; `field` names what was wrong. */
export class InvalidRequest extends AuthKitError {
  readonly name = 'InvalidRequest';
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
  override get detail(): string {
    return this.message;
  }
  override data() {
    return { field: this.field };
  }
}

export class PayloadTooLarge extends AuthKitError {
  readonly name = 'PayloadTooLarge';
}

export class UnsupportedMediaType extends AuthKitError {
  readonly name = 'UnsupportedMediaType';
}

/** The deployment trusts a proxy's headers, and this request did not come through it. */
export class ProxyRequired extends AuthKitError {
  readonly name = 'ProxyRequired';
}

/**
 * Which limit refused a send or a code, each with the public detail a client sees. Budgets are not
 * told apart publicly: naming the one spent would show an attacker which address to rotate.
 */
export const RATE_LIMIT_RULES = {
  budget: 'Too many codes were requested; try again later.',
  cooldown: 'A code was sent moments ago.',
  'send-cap': 'No more codes can be sent for this challenge.',
  lockout: 'Too many wrong codes; sign-in from here is paused.',
} as const;

export type RateLimitRule = keyof typeof RATE_LIMIT_RULES;

/** A rate limit, cool-down or lockout was hit: retry after `retryAfterSeconds`. */
export class RateLimited extends AuthKitError {
  readonly name = 'RateLimited';
  readonly retryAfterSeconds: number;
  readonly rule: RateLimitRule;
  constructor(retryAfterSeconds: number, rule: RateLimitRule) {
    super(RATE_LIMIT_RULES[rule]);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
    this.rule = rule;
  }
  override get detail(): string {
    return this.message;
  }
  override data() {
    return { retryAfterSeconds: this.retryAfterSeconds, rule: this.rule };
  }
  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

export class IdentifierRejected extends AuthKitError {
  readonly name = 'IdentifierRejected';
}

export class CaptchaRequired extends AuthKitError {
  readonly name = 'CaptchaRequired';
}

export class CaptchaInvalid extends AuthKitError {
  readonly name = 'CaptchaInvalid';
}

/**
 * The provider's permanent refusal of one destination (an invalid number, one that opted out), as
 * the adapter classified it: the feedback loop may denylist the destination. Internal: never in
 * `data()`, so never in the workflow's output or a client's answer.
 */
export type DestinationRefusal = { provider: string; errorCode: string };

/** Permanent delivery failure (the provider refused the message) or retries exhausted. */
export class DeliveryFailed extends AuthKitError {
  readonly name = 'DeliveryFailed';
  /** Set only when the provider refused this destination for good, not for a refusal of ours (access, quota). */
  readonly destinationRefusal?: DestinationRefusal;
  constructor(message?: string, options?: ErrorOptions & { destinationRefusal?: DestinationRefusal }) {
    super(message, options);
    if (options?.destinationRefusal) this.destinationRefusal = options.destinationRefusal;
  }
}

/** A provider answered 5xx, throttled or was unreachable: the workflow retries this one. */
export class ProviderUnavailable extends AuthKitError {
  readonly name = 'ProviderUnavailable';
}

/** A dependency (AWS) failed transiently; the client may retry shortly. */
export class ServiceUnavailable extends AuthKitError {
  readonly name = 'ServiceUnavailable';
  override headers(): Record<string, string> {
    return { 'Retry-After': '2' };
  }
}

/** The same answer for wrong, expired, used, locked and unknown challenges (no oracle). */
export class InvalidCode extends AuthKitError {
  readonly name = 'InvalidCode';
}

export class InvalidGrant extends AuthKitError {
  readonly name = 'InvalidGrant';
}

export class ChallengeClosed extends AuthKitError {
  readonly name = 'ChallengeClosed';
}

/** The same answer for every magic link that does not sign in: unknown, expired, used, unbound. */
export class InvalidLink extends AuthKitError {
  readonly name = 'InvalidLink';
}

/** No caller: a protected route reached without the authorizer's context. */
export class Unauthorized extends AuthKitError {
  readonly name = 'Unauthorized';
}

/**
 * A session may bind only the device it signed in on: an access token taken elsewhere must not
 * re-point the session's device at the machine it was taken to.
 */
export class DeviceMismatch extends AuthKitError {
  readonly name = 'DeviceMismatch';
}

/** Not the caller's (or not at all): the two are never told apart. */
export class NotFound extends AuthKitError {
  readonly name = 'NotFound';
}

/**
 * The refusals a workflow execution can end with, by the Fail state's error name, each rebuilt
 * from the data its step sent. A Fail state's name missing here fails a test.
 */
const FROM_WORKFLOW = {
  RateLimited: (data) =>
    new RateLimited(
      typeof data.retryAfterSeconds === 'number' ? data.retryAfterSeconds : 60,
      typeof data.rule === 'string' && data.rule in RATE_LIMIT_RULES
        ? (data.rule as RateLimitRule)
        : 'budget',
    ),
  IdentifierRejected: () => new IdentifierRejected(),
  CaptchaRequired: () => new CaptchaRequired(),
  CaptchaInvalid: () => new CaptchaInvalid(),
  ChallengeClosed: () => new ChallengeClosed(),
  DeliveryFailed: () => new DeliveryFailed(),
  ServiceUnavailable: () => new ServiceUnavailable(),
} satisfies Partial<Record<ErrorName, (data: Record<string, unknown>) => AuthKitError>>;

export const WORKFLOW_REFUSALS = Object.keys(FROM_WORKFLOW) as (keyof typeof FROM_WORKFLOW)[];

/**
 * What a step throws for the workflow: a Lambda error reaches Step Functions only as
 * `{errorType, errorMessage}`, so the message is the error's data as JSON.
 */
export function toWorkflowError(error: AuthKitError): Error {
  const data = { ...error.data(), ...(error.refusalRule ? { refusalRule: error.refusalRule } : {}) };
  const wire = new Error(JSON.stringify(data), { cause: error });
  wire.name = error.name;
  return wire;
}

/**
 * The refusal a failed execution ended with, or undefined when its error is not one. `cause` is
 * the Fail state's Cause: the failed Lambda's `{errorType, errorMessage}` payload.
 */
export function fromWorkflowFailure(error: string, cause: string | undefined): AuthKitError | undefined {
  if (!Object.hasOwn(FROM_WORKFLOW, error)) return undefined;
  const data = dataOf(cause);
  const refusal = FROM_WORKFLOW[error as keyof typeof FROM_WORKFLOW](data);
  return typeof data.refusalRule === 'string' ? refusedBy(refusal, data.refusalRule) : refusal;
}

function dataOf(cause: string | undefined): Record<string, unknown> {
  try {
    const payload = JSON.parse(cause ?? '') as { errorMessage?: unknown };
    const data = JSON.parse(String(payload.errorMessage)) as unknown;
    return data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
