/**
 * template.yaml, parsed as local/template.ts reads it, and every ASL file validates (tests/deploy/
 * runs cfn-lint and checks what the SAM transform makes of the template).
 */

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../layers/core/src/config.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';

const run = (command: string, args: string[]) => {
  try {
    return {
      code: 0,
      output: execFileSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' }),
    };
  } catch (error) {
    const failure = error as { status?: number; stdout?: string; stderr?: string; message: string };
    return {
      code: failure.status ?? -1,
      output: `${failure.stdout ?? ''}${failure.stderr ?? failure.message}`,
    };
  }
};

const aslFiles = readdirSync(join(REPO_ROOT, 'statemachines')).filter((file) => file.endsWith('.json'));
const template = new LocalTemplate(REPO_ROOT);

describe('infrastructure as code', () => {
  it.each(aslFiles)('statemachines/%s passes asl-validator', (file) => {
    const result = run(join(REPO_ROOT, 'node_modules/.bin/asl-validator'), [
      '--json-path',
      join('statemachines', file),
    ]);
    expect(result.code).toBe(0);
  });

  it('retries only transient errors: never a typed business error', () => {
    const [machine] = template.stateMachines();
    const transient =
      /^Lambda\.(ServiceException|AWSLambdaException|SdkClientException|TooManyRequestsException)$|^ProviderUnavailable$/;
    const states = Object.values(
      (machine?.definition.States ?? {}) as Record<string, { Retry?: { ErrorEquals: string[] }[] }>,
    );
    const retried = states.flatMap((state) => state.Retry ?? []).flatMap((retry) => retry.ErrorEquals);
    expect(retried.length).toBeGreaterThan(0);
    for (const error of retried) expect(error).toMatch(transient);
  });

  it('maps every Task of the workflow to a function in template.yaml', () => {
    const [machine] = template.stateMachines();
    const functions = new Set(template.functions().map((fn) => fn.id));
    expect(Object.values(machine?.taskFunctions ?? {}).every((id) => functions.has(id))).toBe(true);
    expect(Object.keys(machine?.taskFunctions ?? {})).toHaveLength(4);
  });

  it('gives the id of each secret only to the functions that read it', () => {
    const holders = (variable: string) =>
      template
        .resourcesOfType('AWS::Serverless::Function')
        .filter(
          ([, fn]) => variable in ((fn.Properties?.Environment as { Variables?: object })?.Variables ?? {}),
        )
        .map(([id]) => id)
        .sort();
    expect(holders('CODE_PEPPER_SECRET_ID')).toEqual(['SendChallengeFunction', 'VerifyFunction']);
    expect(holders('SIGNING_KEY_SECRET_ID')).toEqual([
      'AuthorizerFunction',
      'JwksFunction',
      'MagicLinkVerifyFunction',
      'SigningKeyRotationFunction',
      'TokenFunction',
      'VerifyFunction',
    ]);
    expect(holders('CAPTCHA_SECRET_ID')).toEqual(['VerifyCaptchaFunction']);
    // The functions that read the ASN header (trustedAsn) check the proxy's secret.
    expect(holders('PROXY_SECRET_ID')).toEqual(['ResendFunction', 'StartFunction']);
  });

  it("gives the token functions each token's audience, with the defaults config.ts falls back to", () => {
    const withParameters = (parameters: Record<string, string>) =>
      new LocalTemplate(REPO_ROOT, {
        parameters: { TokenIssuer: 'https://auth.example.com', ...parameters },
      })
        .functions()
        .find((fn) => fn.id === 'TokenFunction')?.environment ?? {};
    const configured = loadConfig(
      withParameters({ TokenAudience: 'example-api', IdTokenAudience: 'example-app' }),
      ['tokens'],
    );
    const { ID_TOKEN_AUDIENCE, ...unset } = withParameters({});
    expect(configured.tokens).toMatchObject({ audience: 'example-api', idTokenAudience: 'example-app' });
    expect(ID_TOKEN_AUDIENCE).toBe(loadConfig(unset, ['tokens']).tokens.idTokenAudience);
  });

  it('keeps execution data out of the state machine logs and traces the API, every function and the workflow', () => {
    // Prepare
    const functionTracing = template
      .resourcesOfType('AWS::Serverless::Function')
      .map(([id, fn]) => [id, fn.Properties?.Tracing ?? template.functionGlobals().Tracing]);
    const apiTracing = template
      .resourcesOfType('AWS::Serverless::Api')
      .map(([id, api]) => [id, api.Properties?.TracingEnabled ?? template.apiGlobals().TracingEnabled]);
    const machines = template.resourcesOfType('AWS::Serverless::StateMachine');

    // Assess
    expect(functionTracing.length).toBeGreaterThan(0);
    for (const [id, tracing] of functionTracing) expect([id, tracing]).toEqual([id, 'Active']);
    expect(apiTracing.length).toBeGreaterThan(0);
    for (const [id, tracing] of apiTracing) expect([id, tracing]).toEqual([id, true]);
    expect(machines.length).toBeGreaterThan(0);
    for (const [id, machine] of machines) {
      expect([id, machine.Properties?.Tracing]).toEqual([id, { Enabled: true }]);
      expect([id, machine.Properties?.Logging]).toEqual([
        id,
        expect.objectContaining({ IncludeExecutionData: false }),
      ]);
    }
  });
});
