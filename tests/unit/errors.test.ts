import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  AuthKitError,
  CaptchaInvalid,
  CaptchaRequired,
  ChallengeClosed,
  DeliveryFailed,
  IdentifierRejected,
  InvalidCode,
  InvalidGrant,
  InvalidRequest,
  MethodNotAllowed,
  NotFound,
  PayloadTooLarge,
  ProviderUnavailable,
  RateLimited,
  UnsupportedMediaType,
  workflowErrors,
} from '../../layers/core/src/errors.ts';

type AslState = { Type: string; Error?: string; States?: Record<string, AslState> } & Record<string, unknown>;

/** Every Fail state in the workflow definition, including those inside Parallel/Map branches. */
function failStates(
  states: Record<string, AslState>,
): Array<{ stateName: string; error: string | undefined }> {
  return Object.entries(states).flatMap(([stateName, state]) => {
    const nested = [
      ...((state.Branches as Array<{ States: Record<string, AslState> }> | undefined) ?? []),
      ...[state.Iterator, state.ItemProcessor].filter(Boolean),
    ] as Array<{ States: Record<string, AslState> }>;
    const own = state.Type === 'Fail' ? [{ stateName, error: state.Error }] : [];
    return [...own, ...nested.flatMap((branch) => failStates(branch.States))];
  });
}

const definition = JSON.parse(
  readFileSync(new URL('../../statemachines/challenge.asl.json', import.meta.url), 'utf8'),
) as { States: Record<string, AslState> };

/** What each workflow failure looks like to a client: the table under "Start" in docs/architecture.md. */
const HTTP_CONTRACT: Record<string, { status: number; code: string }> = {
  RateLimited: { status: 429, code: 'rate_limited' },
  IdentifierRejected: { status: 422, code: 'identifier_rejected' },
  CaptchaRequired: { status: 428, code: 'captcha_required' },
  CaptchaInvalid: { status: 400, code: 'captcha_invalid' },
  DeliveryFailed: { status: 503, code: 'delivery_unavailable' },
  ServiceUnavailable: { status: 503, code: 'service_unavailable' },
};

/** How a Lambda error reaches a Fail state's CausePath. */
function lambdaCause(error: Error): string {
  return JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] });
}

describe('workflowErrors', () => {
  it('covers exactly the Fail states of the challenge workflow', () => {
    // Prepare
    const fails = failStates(definition.States);

    // Act
    const names = Object.keys(workflowErrors).sort();

    // Assess
    expect(fails.map((fail) => fail.stateName).sort()).toEqual(names);
    expect(fails.map((fail) => fail.error).sort()).toEqual(names);
  });

  it.each(Object.entries(HTTP_CONTRACT))('maps %s to the HTTP contract', (name, { status, code }) => {
    // Prepare
    const toError = workflowErrors[name];

    // Act
    const error = toError?.(lambdaCause(new RateLimited(7)));

    // Assess
    expect(error).toBeInstanceOf(AuthKitError);
    expect(error).toMatchObject({ name, status, code, expose: true });
  });

  it('maps nothing beyond the HTTP contract', () => {
    // Act & Assess
    expect(Object.keys(workflowErrors).sort()).toEqual(Object.keys(HTTP_CONTRACT).sort());
  });
});

/** The typed refusals each step throws: each must end the execution in the Fail state of its name. */
const STEP_REFUSALS: Record<string, string[]> = {
  CheckRateLimit: ['RateLimited'],
  CheckDenylist: ['IdentifierRejected'],
  VerifyCaptcha: ['CaptchaRequired', 'CaptchaInvalid'],
  SendChallenge: ['RateLimited', 'ServiceUnavailable', 'DeliveryFailed'],
};

describe('the workflow steps', () => {
  it.each(Object.entries(STEP_REFUSALS))('%s catches each refusal into its Fail state', (step, refusals) => {
    const catches = (definition.States[step]?.Catch ?? []) as { ErrorEquals: string[]; Next: string }[];
    for (const refusal of refusals) {
      expect({ refusal, next: catches.find((c) => c.ErrorEquals.includes(refusal))?.Next }).toEqual({
        refusal,
        next: refusal,
      });
    }
  });
});

describe('RateLimited', () => {
  it('round-trips its retry-after through a Lambda error cause', () => {
    // Prepare
    const thrown = new RateLimited(42, 'A code was sent moments ago');

    // Act
    const restored = RateLimited.fromMessage(lambdaCause(thrown));

    // Assess
    expect(restored.retryAfterSeconds).toBe(42);
    expect(restored.headers()).toEqual({ 'Retry-After': '42' });
  });

  it('reaches clients with the same retry-after through workflowErrors', () => {
    // Prepare
    const cause = lambdaCause(new RateLimited(17));

    // Act
    const error = workflowErrors.RateLimited?.(cause);

    // Assess
    expect(error?.headers()).toEqual({ 'Retry-After': '17' });
  });

  it('exposes Retry-After in whole seconds, at least 1', () => {
    // Act & Assess
    expect(new RateLimited(4.2).headers()).toEqual({ 'Retry-After': '5' });
    expect(new RateLimited(0).headers()).toEqual({ 'Retry-After': '1' });
  });

  it('falls back to 60 s when the cause carries no retry-after', () => {
    // Act
    const error = RateLimited.fromMessage('States.Timeout');

    // Assess
    expect(error.retryAfterSeconds).toBe(60);
  });
});

describe('InvalidCode', () => {
  it('has one message for every failure', () => {
    // Act
    const messages = new Set(Array.from({ length: 5 }, () => new InvalidCode().message));

    // Assess
    expect([...messages]).toEqual(['The code is invalid or has expired.']);
    expect(new InvalidCode()).toMatchObject({ status: 401, code: 'invalid_code', expose: true });
  });
});

describe('error names', () => {
  it.each<[string, () => AuthKitError]>([
    ['InvalidRequest', () => new InvalidRequest('identifier', 'must not be empty')],
    ['PayloadTooLarge', () => new PayloadTooLarge('too large')],
    ['UnsupportedMediaType', () => new UnsupportedMediaType('json only')],
    ['NotFound', () => new NotFound('no such route')],
    ['MethodNotAllowed', () => new MethodNotAllowed('GET only')],
    ['RateLimited', () => new RateLimited(5)],
    ['IdentifierRejected', () => new IdentifierRejected('no')],
    ['CaptchaRequired', () => new CaptchaRequired('no')],
    ['CaptchaInvalid', () => new CaptchaInvalid('no')],
    ['DeliveryFailed', () => new DeliveryFailed('no')],
    ['ProviderUnavailable', () => new ProviderUnavailable('no')],
    ['InvalidCode', () => new InvalidCode()],
    ['InvalidGrant', () => new InvalidGrant()],
    ['ChallengeClosed', () => new ChallengeClosed()],
  ])('%s carries its literal name', (name, create) => {
    // Act
    const error = create();

    // Assess
    expect(error.name).toBe(name);
    expect(Object.hasOwn(error, 'name')).toBe(true);
    expect(error).toBeInstanceOf(Error);
  });

  it('keep their literal value when a bundler renames the class', () => {
    // Prepare: what esbuild does to a class that collides with another binding
    const RateLimited2 = class extends RateLimited {};

    // Act
    const error = new RateLimited2(5);

    // Assess
    expect(RateLimited2.name).toBe('RateLimited2');
    expect(error.name).toBe('RateLimited');
  });
});
