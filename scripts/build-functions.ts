/**
 * `npm run build`: what `sam build` does, without SAM or Docker. Every function and layer of
 * template.yaml is built by its Makefile (BuildMethod: makefile) the way SAM CLI runs one: its
 * CodeUri folder is copied to a scratch directory (so there is no node_modules there), and
 * `make --makefile <the original Makefile> build-<LogicalId>` runs in that copy with ARTIFACTS_DIR
 * set, here to dist/<functions|layers>/<LogicalId>/.
 *
 * Prints the size of each bundle and exits non-zero when a function bundle is over the target's
 * 1 MB (1,000,000 bytes). `buildFunctions()` is exported for the tests and the benchmark.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LocalTemplate } from '../local/template.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The performance target (docs/performance.md): each minified function bundle at most 1 MB. */
export const MAX_FUNCTION_BYTES = 1_000_000;

export type FunctionBundle = {
  id: string;
  /** The function's artifact directory: what `sam deploy` zips and Lambda unpacks at /var/task. */
  dir: string;
  /** The module Lambda loads: the Handler's path plus `.mjs`, inside `dir`. */
  file: string;
  exportName: string;
  /** Size of the module Lambda loads (minified JavaScript, source map excluded). */
  bytes: number;
};

export type LayerBundle = {
  id: string;
  /** The layer's artifact directory: what Lambda unpacks at /opt. */
  dir: string;
  /** Its `nodejs/node_modules`, which Lambda's NODE_PATH names. */
  nodeModules: string;
  /** Every `.mjs` file of the layer (entries and shared chunks), source maps excluded. */
  files: { path: string; bytes: number }[];
  bytes: number;
};

export type BuildResult = {
  outDir: string;
  functions: FunctionBundle[];
  layers: LayerBundle[];
  oversized: FunctionBundle[];
};

const run = promisify(execFile);

/**
 * One resource built as SAM CLI's makefile workflow builds it: a scratch copy of the CodeUri folder
 * (SAM leaves out only .aws-sam and .git) is the working directory; the Makefile is the original.
 */
export async function makeTarget(
  root: string,
  id: string,
  codeUri: string,
  artifactsDir: string,
): Promise<void> {
  const source = join(root, codeUri);
  const scratch = mkdtempSync(join(tmpdir(), `authkit-build-${id}-`));
  try {
    cpSync(source, scratch, {
      recursive: true,
      filter: (path) => !/(^|\/)\.(aws-sam|git)(\/|$)/.test(relative(source, path)),
    });
    rmSync(artifactsDir, { recursive: true, force: true });
    await run('make', ['--makefile', join(source, 'Makefile'), `build-${id}`], {
      cwd: scratch,
      env: { ...process.env, ARTIFACTS_DIR: artifactsDir },
      maxBuffer: 16 << 20,
    }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`${id}: make build-${id} failed:\n${error.stderr || error.message}`);
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function codeUriOf(template: LocalTemplate, id: string, resource: { Properties?: object }): string {
  const props = (resource.Properties ?? {}) as { CodeUri?: unknown; ContentUri?: unknown };
  const uri = props.CodeUri ?? props.ContentUri ?? template.functionGlobals().CodeUri;
  if (typeof uri !== 'string') throw new Error(`${id} has no local CodeUri or ContentUri`);
  return uri;
}

function requireMakefile(id: string, resource: { Metadata?: { BuildMethod?: unknown } }): void {
  const method = resource.Metadata?.BuildMethod;
  if (method !== 'makefile') throw new Error(`${id}: BuildMethod ${String(method)} is not built here`);
}

export async function buildFunctions(options: { root?: string; outDir?: string } = {}): Promise<BuildResult> {
  const root = options.root ?? REPO_ROOT;
  const outDir = options.outDir ?? join(root, 'dist');
  const template = new LocalTemplate(root);
  const handlers = new Map(template.functions().map((fn) => [fn.id, fn]));

  const layers = template.resourcesOfType('AWS::Serverless::LayerVersion').map(async ([id, resource]) => {
    requireMakefile(id, resource);
    const dir = join(outDir, 'layers', id);
    await makeTarget(root, id, codeUriOf(template, id, resource), dir);
    const nodeModules = join(dir, 'nodejs', 'node_modules');
    const files = listFiles(nodeModules)
      .filter((file) => file.endsWith('.mjs'))
      .map((file) => ({ path: relative(nodeModules, file), bytes: statSync(file).size }));
    return { id, dir, nodeModules, files, bytes: files.reduce((sum, file) => sum + file.bytes, 0) };
  });

  const functions = template.resourcesOfType('AWS::Serverless::Function').map(async ([id, resource]) => {
    requireMakefile(id, resource);
    const dir = join(outDir, 'functions', id);
    await makeTarget(root, id, codeUriOf(template, id, resource), dir);
    const { handler, exportName } = handlers.get(id) as { handler: string; exportName: string };
    const file = join(dir, `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`);
    let bytes: number;
    try {
      bytes = statSync(file).size;
    } catch {
      throw new Error(
        `${id}: the build has no ${relative(dir, file)}, the module its Handler names (built: ${listFiles(dir)
          .map((path) => relative(dir, path))
          .join(', ')})`,
      );
    }
    return { id, dir, file, exportName, bytes };
  });

  // One await for both, so a failed layer build rejects here rather than unobserved.
  const [built, layersBuilt] = await Promise.all([Promise.all(functions), Promise.all(layers)]);
  return {
    outDir,
    functions: built,
    layers: layersBuilt,
    oversized: built.filter((fn) => fn.bytes > MAX_FUNCTION_BYTES),
  };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

export function formatBuildReport(result: BuildResult): string {
  const rows: [string, string, string][] = [
    ...result.functions.map((fn): [string, string, string] => [
      fn.id,
      relative(result.outDir, fn.file),
      fn.bytes.toLocaleString('en-US'),
    ]),
    ...result.layers.flatMap((layer) => [
      ...layer.files.map((file): [string, string, string] => [
        `${layer.id} (layer)`,
        relative(result.outDir, join(layer.nodeModules, file.path)),
        file.bytes.toLocaleString('en-US'),
      ]),
      [`${layer.id} (layer total)`, `${layer.files.length} files`, layer.bytes.toLocaleString('en-US')] as [
        string,
        string,
        string,
      ],
    ]),
  ];
  const header: [string, string, string] = ['bundle', 'file', 'bytes (minified)'];
  const widths = [0, 1, 2].map((i) =>
    Math.max(...[header, ...rows].map((row) => row[i as 0 | 1 | 2].length)),
  );
  const line = (row: [string, string, string]) =>
    `${row[0].padEnd(widths[0] ?? 0)}  ${row[1].padEnd(widths[1] ?? 0)}  ${row[2].padStart(widths[2] ?? 0)}`;
  const out = [line(header), ...rows.map(line)];
  for (const fn of result.oversized) {
    out.push(
      `OVER LIMIT: ${fn.id} is ${fn.bytes.toLocaleString('en-US')} bytes (limit ${MAX_FUNCTION_BYTES.toLocaleString('en-US')})`,
    );
  }
  return out.join('\n');
}

if (import.meta.main) {
  const started = performance.now();
  const result = await buildFunctions();
  console.log(formatBuildReport(result));
  console.log(
    `\nBuilt ${result.functions.length} functions and ${result.layers.length} layer(s) into ${relative(process.cwd(), result.outDir) || '.'}/ in ${Math.round(performance.now() - started)} ms.`,
  );
  if (result.oversized.length > 0) {
    console.error(`${result.oversized.length} function bundle(s) exceed ${MAX_FUNCTION_BYTES} bytes.`);
    process.exitCode = 1;
  }
}
