/**
 * What `sam build` produces must load: every function bundle, built with template.yaml's own esbuild
 * properties against the built layer, imported in a fresh Node process with its environment, as
 * Lambda's init phase does. (An ES module bundle of CommonJS dependencies once failed right here.)
 */
import { describe, expect, it } from '@jest/globals';
import { measureColdStart } from '../../bench/cold-start.ts';
import { buildFunctions, MAX_FUNCTION_BYTES, REPO_ROOT } from '../../scripts/build-functions.ts';

describe('built function bundles', () => {
  it('all load and export their handler, each under 1 MB', async () => {
    const build = await buildFunctions();
    const loaded = await measureColdStart(REPO_ROOT, build, { repetitions: 1, label: 'ci' });
    expect(loaded.failures).toEqual([]);
    expect(build.functions).toHaveLength(11);
    for (const fn of build.functions) expect(fn.bytes).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
  }, 120_000);
});
