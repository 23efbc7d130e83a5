/**
 * The error table is the contract: every error a client can see, with its status, code, title and
 * public detail, and every way a workflow execution can fail maps onto it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { problemResponse } from '../../functions/_shared/http.ts';
import * as errors from '../../layers/core/src/errors.ts';
import {
  AuthKitError,
  ERRORS,
  type ErrorName,
  fromWorkflowFailure,
  InvalidCode,
  InvalidRequest,
  ProviderUnavailable,
  RATE_LIMIT_RULES,
  RateLimited,
  refusedBy,
  toWorkflowError,
  WORKFLOW_REFUSALS,
} from '../../layers/core/src/errors.ts';

type AslState = {
  Type: string;
  Error?: string;
  CausePath?: string;
  Catch?: { ErrorEquals: string[]; Next: string }[];
};

const definition = JSON.parse(
  readFileSync(new URL('../../statemachines/challenge.asl.json', import.meta.url), 'utf8'),
) as { States: Record<string, AslState> };
const states = Object.entries(definition.States);
const failStates = states.filter(([, state]) => state.Type === 'Fail');

/** Every error class the core exports. */
const classes = Object.values(errors as Record<string, unknown>).filter(
  (value): value is new (...args: string[]) => AuthKitError =>
    typeof value === 'function' && value.prototype instanceof AuthKitError,
);

/** The typed refusals each step throws (see functions/steps/). */
const STEP_REFUSALS: Record<string, string[]> = {
  CheckRateLimit: ['RateLimited'],
  CheckDenylist: ['IdentifierRejected'],
  VerifyCaptcha: ['CaptchaRequired', 'CaptchaInvalid', 'ServiceUnavailable'],
  SendChallenge: ['RateLimited', 'ChallengeClosed', 'ServiceUnavailable', 'DeliveryFailed'],
};

/** What Lambda hands Step Functions for an error a step threw: its name and its message. */
function lambdaCause(error: Error): string {
  return JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] });
}

describe('the error table', () => {
  it('has a class for every entry, and an entry for every class', () => {
    // Act
    const names = classes.map((Class) => new Class('field', 'problem').name);

    // Assess
    expect(names.sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it.each(Object.entries(ERRORS))('gives %s a 4xx or 503 status and a snake_case code', (_, entry) => {
    // Assess
    expect([400, 401, 403, 404, 409, 413, 415, 422, 428, 429, 503]).toContain(entry.status);
    expect(entry.code).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(entry.detail).toMatch(/\.$/);
  });
});

describe('problem+json', () => {
  it.each<[ErrorName, AuthKitError]>([
    ['InvalidRequest', new InvalidRequest('identifier', 'is required')],
    ['RateLimited', new RateLimited(12, 'cooldown')],
    ['ProviderUnavailable', new ProviderUnavailable('SES answered 503 for message 42')],
    ['InvalidCode', new InvalidCode()],
  ])("answers %s with the table's status, code and title, and its data", (name, error) => {
    // Act
    const response = problemResponse(error, 'req-1');

    // Assess
    const body = JSON.parse(response.body);
    expect(response.statusCode).toBe(ERRORS[name].status);
    expect(body).toMatchObject({
      status: ERRORS[name].status,
      code: ERRORS[name].code,
      title: ERRORS[name].title,
    });
    expect(body).toMatchObject(error.data());
    expect(body.detail).toBe(error.detail);
    expect(body.detail).not.toContain('SES');
  });

  it('answers anything else with a generic 500 that names nothing', () => {
    // Act
    const response = problemResponse(new Error('table AuthKit-Challenges not found'), 'req-1');

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('AuthKit-Challenges');
  });
});

describe('the workflow', () => {
  it("names each Fail state after the error it ends with, and hands on the failed step's payload", () => {
    // Assess
    for (const [stateName, state] of failStates) {
      expect({ stateName, error: state.Error, cause: state.CausePath }).toEqual({
        stateName,
        error: stateName,
        cause: '$.error.Cause',
      });
    }
  });

  it('ends only in refusals the HTTP mapping rebuilds, and maps every one', () => {
    // Assess
    expect(failStates.map(([name]) => name).sort()).toEqual([...WORKFLOW_REFUSALS].sort());
  });

  it('catches only errors of the table, into Fail states', () => {
    // Assess
    for (const [, state] of states) {
      for (const rule of state.Catch ?? []) {
        expect(definition.States[rule.Next]?.Type).toBe('Fail');
        for (const name of rule.ErrorEquals) expect(Object.keys(ERRORS)).toContain(name);
      }
    }
  });

  it.each(Object.entries(STEP_REFUSALS))(
    '%s catches each refusal it throws into the Fail state of its name',
    (step, refusals) => {
      // Prepare
      const catches = definition.States[step]?.Catch ?? [];

      // Assess
      for (const refusal of refusals) {
        expect({ refusal, next: catches.find((rule) => rule.ErrorEquals.includes(refusal))?.Next }).toEqual({
          refusal,
          next: refusal,
        });
      }
    },
  );

  it.each(WORKFLOW_REFUSALS)('maps a %s failure to its entry of the table', (name) => {
    // Act
    const error = fromWorkflowFailure(name, lambdaCause(new Error('{}')));

    // Assess
    expect(error).toBeInstanceOf(AuthKitError);
    expect(error).toMatchObject({ name, status: ERRORS[name].status, code: ERRORS[name].code });
  });

  it('maps nothing else: a crashed step is not a refusal', () => {
    // Act & Assess
    expect(
      fromWorkflowFailure('States.TaskFailed', lambdaCause(new TypeError('x is undefined'))),
    ).toBeUndefined();
    expect(fromWorkflowFailure('toString', undefined)).toBeUndefined();
  });
});

describe('RateLimited', () => {
  it.each(Object.keys(RATE_LIMIT_RULES) as (keyof typeof RATE_LIMIT_RULES)[])(
    'crosses the workflow with its retry delay and rule (%s) as data',
    (rule) => {
      // Prepare
      const thrown = toWorkflowError(new RateLimited(42, rule));

      // Act
      const restored = fromWorkflowFailure(thrown.name, lambdaCause(thrown)) as RateLimited;

      // Assess
      expect(restored).toMatchObject({ retryAfterSeconds: 42, rule, detail: RATE_LIMIT_RULES[rule] });
      expect(restored.headers()).toEqual({ 'Retry-After': '42' });
    },
  );

  it('exposes Retry-After in whole seconds, at least 1', () => {
    // Act & Assess
    expect(new RateLimited(4.2, 'budget').headers()).toEqual({ 'Retry-After': '5' });
    expect(new RateLimited(0, 'budget').headers()).toEqual({ 'Retry-After': '1' });
  });

  it('falls back to 60 s of the budget rule when the cause carries no data', () => {
    // Act
    const error = fromWorkflowFailure('RateLimited', 'States.Timeout') as RateLimited;

    // Assess
    expect(error).toMatchObject({ retryAfterSeconds: 60, rule: 'budget' });
  });
});

describe('the rule behind a refusal', () => {
  it('crosses the workflow for metrics and audit, and never reaches the client', () => {
    // Prepare
    const thrown = toWorkflowError(refusedBy(new errors.IdentifierRejected(), 'sms-country'));

    // Act
    const restored = fromWorkflowFailure(thrown.name, lambdaCause(thrown)) as AuthKitError;
    const answer = problemResponse(restored, 'req-1');

    // Assess
    expect(restored).toMatchObject({ name: 'IdentifierRejected', refusalRule: 'sms-country' });
    expect(answer.body).not.toContain('sms-country');
    expect(Object.values(answer.headers ?? {}).join()).not.toContain('sms-country');
  });
});

describe('error names', () => {
  it.each(classes.map((Class) => [Class.name, Class] as const))('%s carries its literal name', (_, Class) => {
    // Act
    const error = new Class('field', 'problem');

    // Assess
    expect(Object.hasOwn(error, 'name')).toBe(true);
    expect(ERRORS[error.name]).toBeDefined();
    expect(error).toBeInstanceOf(Error);
  });

  it('keep their literal value when a bundler renames the class', () => {
    // Prepare: what esbuild does to a class that collides with another binding
    const RateLimited2 = class extends RateLimited {};

    // Act
    const error = new RateLimited2(5, 'budget');

    // Assess
    expect(RateLimited2.name).toBe('RateLimited2');
    expect(error.name).toBe('RateLimited');
  });
});
