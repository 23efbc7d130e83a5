/**
 * What `sam build` produces can be deployed and runs on Lambda. Every function and the core layer are
 * built by their Makefiles the way SAM CLI runs a makefile build: in a scratch copy of the CodeUri
 * folder, which has no node_modules. Each bundle is then imported by Node 24 in a Lambda-shaped
 * sandbox: the function at /var/task, the layer at /opt/nodejs, NODE_PATH as Lambda sets it, no AWS
 * SDK from the runtime. (Once, none of these bundles could load on Lambda; once, the layer could not
 * even be built by `sam build`.)
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LOCAL_REGION, LocalTemplate } from '../../local/template.ts';
import {
  type BuildResult,
  buildFunctions,
  MAX_FUNCTION_BYTES,
  REPO_ROOT,
} from '../../scripts/build-functions.ts';
import { lambdaSandbox } from '../../scripts/lambda-sandbox.ts';
import { dynamodbEndpoint } from '../support/stack.ts';

const run = promisify(execFile);

/**
 * Imports the handler module as Lambda's init phase does, then invokes it once with the event, or
 * without one builds what its first invocation would: its dependencies, from its own environment,
 * importing the layer's adapter modules it needs.
 */
const PROBE = `
const [file, exportName, event] = process.argv.slice(1);
const module = await import(file);
if (typeof module[exportName] !== 'function') throw new Error('the module exports no ' + exportName);
const context = { awsRequestId: 'probe', functionName: 'probe', getRemainingTimeInMillis: () => 10000 };
const result = event ? await module[exportName](JSON.parse(event), context) : null;
if (!event) await module[exportName].fromEnvironment(process.env);
console.log(JSON.stringify({ loaded: true, result }));
`;

const template = new LocalTemplate(REPO_ROOT, { parameters: { TokenIssuer: 'https://auth.example.com' } });
/** The variables template.yaml gives the function, as Lambda gives them. */
const environmentOf = (id: string) => template.functions().find((fn) => fn.id === id)?.environment ?? {};
let build: BuildResult;
let outDir: string;

async function runInSandbox(
  fn: BuildResult['functions'][number],
  options: { env?: Record<string, string>; event?: unknown } = {},
): Promise<{ loaded: boolean; result: unknown }> {
  const sandbox = lambdaSandbox(fn, build.layers);
  try {
    const { stdout } = await run(
      process.execPath,
      [
        ...sandbox.nodeArgs,
        '--input-type=module',
        '-e',
        PROBE,
        sandbox.file,
        fn.exportName,
        options.event === undefined ? '' : JSON.stringify(options.event),
      ],
      {
        cwd: sandbox.taskRoot,
        env: { PATH: process.env.PATH ?? '', ...environmentOf(fn.id), ...options.env, ...sandbox.env },
      },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    throw new Error(
      `${fn.id}: ${stderr
        .split('\n')
        .filter((line) => line.length < 400)
        .slice(0, 8)
        .join('\n')}`,
    );
  } finally {
    sandbox.remove();
  }
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'authkit-sam-build-'));
  build = await buildFunctions({ outDir });
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('sam build, from scratch copies of each CodeUri', () => {
  it('builds every function of template.yaml, each bundle at most 1 MB, and the core layer', () => {
    expect(build.functions.map((fn) => fn.id).sort()).toEqual(
      template
        .functions()
        .map((fn) => fn.id)
        .sort(),
    );
    for (const fn of build.functions) expect(fn.bytes).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
    expect(build.layers.map((layer) => layer.id)).toEqual(['CoreLayer']);
    expect(build.layers[0]?.files.map((file) => file.path)).toEqual(
      expect.arrayContaining(['@authkit/core/index.mjs', '@authkit/core/adapters/dynamodb/index.mjs']),
    );
  });

  it("gives the layer every entry of @authkit/core's exports, each built", () => {
    // Prepare
    const source = JSON.parse(readFileSync(join(REPO_ROOT, 'layers/core/package.json'), 'utf8')) as {
      exports: Record<string, string>;
    };
    const layer = build.layers[0];
    const built = JSON.parse(
      readFileSync(join(layer?.nodeModules ?? '', '@authkit/core/package.json'), 'utf8'),
    ) as {
      exports: Record<string, string>;
    };

    // Assess
    expect(Object.keys(built.exports).sort()).toEqual(Object.keys(source.exports).sort());
    const files = layer?.files.map((file) => file.path);
    for (const target of Object.values(built.exports)) {
      expect(files).toContain(join('@authkit/core', target));
    }
  });

  it('ships the AWS SDK once, in the layer: no function bundle carries a client of its own', () => {
    // Every SDK client's core sends this header; the domain and the functions carry none of it.
    const sdkMarker = 'x-amz-user-agent';
    const layer = build.layers[0];
    const layerText = (path: string) => readFileSync(join(layer?.nodeModules ?? '', path), 'utf8');
    expect(layer?.files.some((file) => layerText(file.path).includes(sdkMarker))).toBe(true);
    expect(layerText('@authkit/core/index.mjs')).not.toContain(sdkMarker);
    const withSdk = build.functions.filter((fn) => readFileSync(fn.file, 'utf8').includes(sdkMarker));
    expect(withSdk.map((fn) => fn.id)).toEqual([]);
  });
});

describe('the Makefiles, run wrong', () => {
  const make = (env: Record<string, string>, root = REPO_ROOT) =>
    run('make', ['--makefile', join(root, 'functions/Makefile'), 'build-HealthFunction'], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', ...env },
    }).then(
      () => '',
      (error: { stderr?: string }) => String(error.stderr),
    );

  it('refuse to build without ARTIFACTS_DIR, instead of writing to the root of the file system', async () => {
    expect(await make({})).toContain('ARTIFACTS_DIR must name the directory to build into');
  });

  it('say to run npm ci when the repository has no node_modules', async () => {
    const clone = mkdtempSync(join(tmpdir(), 'authkit-no-modules-'));
    try {
      for (const dir of ['functions', 'scripts'])
        cpSync(join(REPO_ROOT, dir), join(clone, dir), { recursive: true });
      expect(await make({ ARTIFACTS_DIR: join(clone, 'out') }, clone)).toContain('run `npm ci`');
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });
});

describe('the built bundles on Node 24, with the layer at /opt/nodejs and no runtime AWS SDK', () => {
  it('every function module loads, exports the handler its Handler names and builds its dependencies', async () => {
    const failures: string[] = [];
    for (const fn of build.functions) {
      await runInSandbox(fn).catch((error: Error) => failures.push(error.message));
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('the send function builds from its bundle with End User Messaging as the SMS provider', async () => {
    const send = build.functions.find((fn) => fn.id === 'SendChallengeFunction');
    if (!send) throw new Error('no SendChallengeFunction was built');
    await expect(runInSandbox(send, { env: { SMS_PROVIDER: 'end-user-messaging' } })).resolves.toMatchObject({
      loaded: true,
    });
  }, 60_000);

  it('the health function answers from its bundle, reading DynamoDB Local through the layer', async () => {
    const health = build.functions.find((fn) => fn.id === 'HealthFunction');
    if (!health) throw new Error('no HealthFunction was built');
    const event = JSON.parse(readFileSync(join(REPO_ROOT, 'events/api/health.json'), 'utf8'));
    const { result } = await runInSandbox(health, {
      event,
      env: {
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint(),
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    });
    const response = result as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'ok', checks: { dynamodb: { status: 'ok' } } });
  }, 60_000);
});
