/** For an e2e spec file: a local runtime of its own, started before its specs and closed after. */
import { afterAll, beforeAll } from '@jest/globals';
import type { LocalRuntime } from '../../local/runtime.ts';
import { client } from './http.ts';
import { startTestRuntime } from './stack.ts';

export function runtimeForSuite(
  parameters: Record<string, string> = {},
  secrets: Record<string, string> = {},
): { runtime: LocalRuntime; http: ReturnType<typeof client> } {
  const suite = {} as { runtime: LocalRuntime; http: ReturnType<typeof client> };
  beforeAll(async () => {
    suite.runtime = await startTestRuntime(parameters, secrets);
    suite.http = client(suite.runtime.url);
  });
  afterAll(async () => {
    await suite.runtime.close();
  });
  return suite;
}
