/**
 * Functions read their secrets when a request needs them, never while loading: every function
 * module loads with Secrets Manager unreachable (Lambda's init phase does no I/O for secrets), and
 * only a request that needs a secret fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { LocalLambda } from '../../local/lambda.ts';
import { freePort } from '../../local/ports.ts';
import { REPO_ROOT, useFunctionEnvironment } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';
import { dynamodbEndpoint, sesEndpoint, TEST_PARAMETERS } from '../support/stack.ts';

const template = new LocalTemplate(REPO_ROOT, {
  parameters: { TokenIssuer: 'https://auth.test', ...TEST_PARAMETERS },
});
const functions = template.functions();

beforeAll(async () => {
  // Nothing listens on a port that was just free: every Secrets Manager call fails to connect.
  useFunctionEnvironment(template, {
    dynamodb: dynamodbEndpoint(),
    ses: sesEndpoint(),
    secretsManager: `http://127.0.0.1:${await freePort()}`,
  });
  // The failed request is logged as an error, as it should be; not into the test run's output.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

describe('with Secrets Manager unreachable', () => {
  it.each(functions.map((fn) => [fn.id, fn] as const))('%s loads', async (_, fn) => {
    // Act
    const module = (await import(pathToFileURL(fn.entryPoint).href)) as Record<string, unknown>;

    // Assess
    expect(typeof module[fn.exportName]).toBe('function');
  });

  it('fails only the request that needs the secret, with a generic 500', async () => {
    // Prepare
    const event = JSON.parse(readFileSync(join(REPO_ROOT, 'events/api/jwks.json'), 'utf8'));

    // Act
    const response = (await new LocalLambda(functions).invoke('JwksFunction', event)) as {
      statusCode: number;
      body: string;
    };

    // Assess
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'internal_error' });
  });
});
