/**
 * (c) Cold start of the built bundles. Each bundle runs in a Lambda-shaped sandbox
 * (scripts/lambda-sandbox.ts: the function at var/task, the layer with `@authkit/core` and the AWS
 * SDK it bundles at opt/nodejs, NODE_PATH searched as Lambda's runtime searches it). A fresh `node`
 * process per measurement imports the bundle — running its module scope, as Lambda's init phase
 * does, and the dependencies its handler builds on the first invocation — with the function's own
 * environment from template.yaml (secrets are read per invocation, never at init) plus the
 * variables Lambda sets. An empty handler module is measured in the same run, interleaved, as the
 * baseline; the component rows import parts on their own (the AWS SDK clients unbundled from
 * node_modules, as a runtime's own SDK would load).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { LOCAL_REGION, LocalTemplate } from '../local/template.ts';
import type { BuildResult } from '../scripts/build-functions.ts';
import { lambdaSandbox, type Sandbox } from '../scripts/lambda-sandbox.ts';
import { median, round } from './lib/stats.ts';

const run = promisify(execFile);

// A deployed handler builds its dependencies (clients, stores, config) on the first invocation of
// a cold start, not at import: \`fromEnvironment\` does that build, so it is timed as init.
const PROBE = `
const t0 = performance.now();
const m = await import(process.argv[1]);
const handler = m[process.argv[2]];
if (typeof handler !== 'function' && process.argv[2] !== '-') {
  console.error('module exports no ' + process.argv[2]);
  process.exit(2);
}
if (handler?.fromEnvironment) await handler.fromEnvironment(process.env);
const t1 = performance.now();
console.log(JSON.stringify({ importMs: t1 - t0, readyMs: t1 }));
`;

type Module = {
  name: string;
  file: string;
  exportName: string;
  env: Record<string, string>;
  nodeArgs: string[];
  bytes?: number;
};
type Timing = { importMs: number; readyMs: number; processMs: number };

export type ColdStartRow = {
  name: string;
  bytes?: number;
  importMs: number;
  readyMs: number;
  processMs: number;
  importRatio: number;
  readyRatio: number;
  importMsNoSourceMaps?: number;
};

export type ColdStartResult = {
  label: string;
  repetitions: number;
  /** Modules that could not be imported at all (they would fail Lambda's init phase). */
  failures: { name: string; error: string }[];
  nodeOptions: string;
  empty: ColdStartRow;
  functions: ColdStartRow[];
  components: ColdStartRow[];
  layerBytes: number;
};

/** The environment Lambda would give one function: template.yaml's (Globals + its own) and Lambda's. */
function environmentOf(
  template: LocalTemplate,
  id: string,
  memoryMb: number,
  dir: string,
): Record<string, string> {
  const env = template.functions().find((fn) => fn.id === id)?.environment ?? {};
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
    AWS_SECRET_ACCESS_KEY: 'benchmark',
    AWS_SESSION_TOKEN: 'benchmark',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: id,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: dir,
    NODE_PATH: '/opt/nodejs/node_modules',
    ...env,
  };
}

async function probe(module: Module, extraEnv: Record<string, string> = {}): Promise<Timing> {
  const t0 = performance.now();
  const { stdout } = await run(
    process.execPath,
    [
      ...module.nodeArgs,
      '--input-type=module',
      '-e',
      PROBE,
      pathToFileURL(module.file).href,
      module.exportName,
    ],
    { env: { ...module.env, ...extraEnv }, cwd: join(module.file, '..'), maxBuffer: 1 << 20 },
  ).catch((error: { stderr?: string; message: string }) => {
    // Minified bundles print whole source lines; keep the error line and the first stack frames.
    const lines = String(error.stderr ?? error.message)
      .split('\n')
      .filter((line) => line.trim() && line.length < 400);
    const at = lines.findIndex((line) => /^\w*Error\b|^\w+ \[\w+\]:/.test(line));
    const tail = (at >= 0 ? lines.slice(at, at + 4) : lines.slice(-4)).join('\n');
    throw new Error(`${module.name}: importing ${basename(module.file)} failed:\n${tail}`);
  });
  const processMs = performance.now() - t0;
  const { importMs, readyMs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Timing;
  return { importMs, readyMs, processMs };
}

export async function measureColdStart(
  root: string,
  build: BuildResult,
  options: { repetitions: number; label: string },
): Promise<ColdStartResult> {
  const layer = build.layers[0];
  if (!layer) throw new Error('the build produced no layer');
  const scratch = mkdtempSync(join(tmpdir(), 'authkit-cold-'));
  const sandboxes: Sandbox[] = [];
  const inSandbox = (dir: string, file: string) => {
    const sandbox = lambdaSandbox({ dir, file }, build.layers);
    sandboxes.push(sandbox);
    return sandbox;
  };
  try {
    const template = new LocalTemplate(root, { parameters: { TokenIssuer: 'https://auth.example.com' } });
    const memory = new Map(template.functions().map((fn) => [fn.id, fn.memoryMb]));

    const functions: Module[] = build.functions.map((fn) => {
      const sandbox = inSandbox(fn.dir, fn.file);
      return {
        name: fn.id,
        file: sandbox.file,
        exportName: fn.exportName,
        env: {
          ...environmentOf(template, fn.id, memory.get(fn.id) ?? 128, sandbox.taskRoot),
          ...sandbox.env,
        },
        nodeArgs: sandbox.nodeArgs,
        bytes: fn.bytes,
      };
    });
    const baseEnv = (functions.find((fn) => fn.name === 'StartFunction') ?? functions[0])?.env ?? {};
    const write = (name: string, source: string, exportName = '-'): Module => {
      const dir = join(scratch, name.replace(/[^\w.-]+/g, '_'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'index.mjs'), source);
      const sandbox = inSandbox(dir, join(dir, 'index.mjs'));
      return {
        name,
        file: sandbox.file,
        exportName,
        env: { ...baseEnv, ...sandbox.env },
        nodeArgs: sandbox.nodeArgs,
      };
    };
    const empty = write(
      'empty handler',
      'export const handler = async () => ({ statusCode: 200, body: "" });\n',
      'handler',
    );
    const components: Module[] = [
      write('@authkit/core (layer index)', "import '@authkit/core';\n"),
      ...['dynamodb', 'messaging', 'secrets-manager', 'step-functions'].map((entry) =>
        write(`@authkit/core/adapters/${entry} (layer)`, `import '@authkit/core/adapters/${entry}';\n`),
      ),
      // What the layer bundles, loaded from the repository's node_modules (unbundled).
      ...[
        ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
        ['@aws-sdk/client-sfn'],
        ['@aws-sdk/client-sesv2', '@aws-sdk/client-sns'],
        ['@aws-sdk/client-secrets-manager', '@aws-lambda-powertools/parameters/secrets'],
        ['mailchecker'],
        ['libphonenumber-js/max'],
        ['jose'],
      ].map((packages) =>
        write(
          `${packages.join(' + ')} (unbundled, from node_modules)`,
          packages.map((pkg) => `import ${JSON.stringify(import.meta.resolve(pkg))};\n`).join(''),
        ),
      ),
    ];

    const noSourceMaps = { NODE_OPTIONS: '' };
    const timings = new Map<string, Timing[]>();
    const record = (key: string, timing: Timing) => timings.set(key, [...(timings.get(key) ?? []), timing]);
    // One warm-up round (file cache; a module that cannot even load is reported, not timed), then
    // interleaved repetitions so that drift hits every module alike.
    const failures: { name: string; error: string }[] = [];
    const loadable: Module[] = [];
    for (const module of [empty, ...functions, ...components]) {
      try {
        await probe(module);
        loadable.push(module);
      } catch (error) {
        failures.push({ name: module.name, error: (error as Error).message });
      }
    }
    for (let rep = 0; rep < options.repetitions; rep++) {
      for (const module of loadable) {
        record(module.name, await probe(module));
        if (module === empty || functions.includes(module))
          record(`${module.name} (no source maps)`, await probe(module, noSourceMaps));
      }
    }

    const row = (module: Module, base: ColdStartRow | undefined): ColdStartRow => {
      const list = timings.get(module.name) ?? [];
      const importMs = median(list.map((t) => t.importMs));
      const readyMs = median(list.map((t) => t.readyMs));
      const plain = timings.get(`${module.name} (no source maps)`);
      return {
        name: module.name,
        ...(module.bytes === undefined ? {} : { bytes: module.bytes }),
        importMs: round(importMs, 2),
        readyMs: round(readyMs, 2),
        processMs: round(median(list.map((t) => t.processMs)), 1),
        importRatio: base ? round(importMs / base.importMs, 1) : 1,
        readyRatio: base ? round(readyMs / base.readyMs, 2) : 1,
        ...(plain ? { importMsNoSourceMaps: round(median(plain.map((t) => t.importMs)), 2) } : {}),
      };
    };
    const emptyRow = row(empty, undefined);
    return {
      label: options.label,
      repetitions: options.repetitions,
      nodeOptions: baseEnv.NODE_OPTIONS ?? '',
      failures,
      empty: emptyRow,
      functions: functions.filter((fn) => loadable.includes(fn)).map((fn) => row(fn, emptyRow)),
      components: components.filter((c) => loadable.includes(c)).map((c) => row(c, emptyRow)),
      layerBytes: layer.bytes,
    };
  } finally {
    for (const sandbox of sandboxes) sandbox.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}
