/**
 * (c) Cold start of the built bundles. Each bundle is copied into a scratch directory whose
 * node_modules holds the built layer (`@authkit/core`) and the AWS SDK (which Lambda's runtime
 * provides), because ES modules ignore NODE_PATH. A fresh `node` process per measurement imports
 * the bundle — running its module scope, as Lambda's init phase does — with the function's own
 * environment from template.yaml (dummy secrets) plus the variables Lambda sets. An empty handler
 * module is measured in the same run, interleaved, as the baseline.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { LOCAL_REGION, LocalTemplate } from '../local/template.ts';
import type { BuildResult } from '../scripts/build-functions.ts';
import { median, round } from './lib/stats.ts';

const run = promisify(execFile);

const PROBE = `
const t0 = performance.now();
const m = await import(process.argv[1]);
const t1 = performance.now();
if (typeof m[process.argv[2]] !== 'function' && process.argv[2] !== '-') {
  console.error('module exports no ' + process.argv[2]);
  process.exit(2);
}
console.log(JSON.stringify({ importMs: t1 - t0, readyMs: t1 }));
`;

type Module = { name: string; file: string; exportName: string; env: Record<string, string>; bytes?: number };
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
  const merged = template.environment();
  const own = new Map<string, Set<string>>();
  for (const [fnId, resource] of template.resourcesOfType('AWS::Serverless::Function')) {
    const variables = (
      resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
    )?.Variables;
    own.set(fnId, new Set(Object.keys(variables ?? {})));
  }
  const anyOwn = new Set([...own.values()].flatMap((set) => [...set]));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(merged)) {
    if (!anyOwn.has(name) || own.get(id)?.has(name)) env[name] = value;
  }
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
    ['--input-type=module', '-e', PROBE, pathToFileURL(module.file).href, module.exportName],
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
  try {
    mkdirSync(join(scratch, 'node_modules', '@authkit'), { recursive: true });
    symlinkSync(
      join(layer.nodeModules, '@authkit', 'core'),
      join(scratch, 'node_modules', '@authkit', 'core'),
    );
    symlinkSync(join(root, 'node_modules', '@aws-sdk'), join(scratch, 'node_modules', '@aws-sdk'));

    const secrets: Record<string, string> = {};
    const probeTemplate = new LocalTemplate(root, {
      parameters: { TokenIssuer: 'https://auth.example.com' },
    });
    for (const [id] of probeTemplate.resourcesOfType('AWS::SecretsManager::Secret'))
      secrets[id] = `bench-${id}-`.padEnd(64, 'x');
    const template = new LocalTemplate(root, {
      parameters: { TokenIssuer: 'https://auth.example.com' },
      secrets,
    });
    const memory = new Map(template.functions().map((fn) => [fn.id, fn.memoryMb]));

    const functions: Module[] = build.functions.map((fn) => {
      const dir = join(scratch, fn.id);
      mkdirSync(dir);
      const file = join(dir, basename(fn.file));
      copyFileSync(fn.file, file);
      if (existsSync(`${fn.file}.map`)) copyFileSync(`${fn.file}.map`, `${file}.map`);
      return {
        name: fn.id,
        file,
        exportName: fn.exportName,
        env: environmentOf(template, fn.id, memory.get(fn.id) ?? 128, dir),
        bytes: fn.bytes,
      };
    });
    const baseEnv = (functions.find((fn) => fn.name === 'StartFunction') ?? functions[0])?.env ?? {};
    const write = (name: string, source: string, exportName = '-'): Module => {
      const dir = join(scratch, name.replace(/[^\w.-]+/g, '_'));
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'index.mjs');
      writeFileSync(file, source);
      return { name, file, exportName, env: { ...baseEnv, LAMBDA_TASK_ROOT: dir } };
    };
    const empty = write(
      'empty handler',
      'export const handler = async () => ({ statusCode: 200, body: "" });\n',
      'handler',
    );
    const components: Module[] = [
      write('@authkit/core (layer index)', "import '@authkit/core';\n"),
      write('@authkit/core/adapters (layer)', "import '@authkit/core/adapters';\n"),
      write(
        '@aws-sdk/client-dynamodb + lib-dynamodb',
        "import '@aws-sdk/client-dynamodb';\nimport '@aws-sdk/lib-dynamodb';\n",
      ),
      write('@aws-sdk/client-sfn', "import '@aws-sdk/client-sfn';\n"),
      write(
        '@aws-sdk/client-sesv2 + client-sns',
        "import '@aws-sdk/client-sesv2';\nimport '@aws-sdk/client-sns';\n",
      ),
      // What the layer bundles, loaded from the repository's node_modules (unbundled).
      ...['mailchecker', 'libphonenumber-js/max', 'jose'].map((pkg) =>
        write(
          `${pkg} (unbundled, from node_modules)`,
          `import ${JSON.stringify(import.meta.resolve(pkg))};\n`,
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
    rmSync(scratch, { recursive: true, force: true });
  }
}
