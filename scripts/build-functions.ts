/**
 * `npm run build`: bundles what `sam build` would, without SAM or Docker.
 *
 * - Every `AWS::Serverless::Function` of template.yaml with `BuildMethod: esbuild` is bundled with
 *   esbuild's JS API from its own `Metadata.BuildProperties` (the options SAM's esbuild workflow
 *   passes on, plus SAM's fixed `--bundle --platform=node`) into `dist/functions/<LogicalId>/`.
 * - Every `AWS::Serverless::LayerVersion` with `BuildMethod: makefile` is built by running the
 *   esbuild command of its Makefile's `build-<LogicalId>` target (read from the Makefile, with the
 *   locally installed esbuild instead of `npx`) into `dist/layer/`, and the `package.json` the
 *   Makefile writes is written the same way.
 *
 * Prints the minified size of each bundle and exits non-zero when a function bundle is over the
 * design's 1 MB (1,000,000 bytes). `buildFunctions()` is exported for the benchmark.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BuildOptions, build, version as esbuildVersion } from 'esbuild';
import { LocalTemplate } from '../local/template.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Design target (section 7): each minified function bundle at most 1 MB. */
export const MAX_FUNCTION_BYTES = 1_000_000;

export type FunctionBundle = {
  id: string;
  /** The module Lambda loads: `<Handler module>.mjs` in the function's artifact directory. */
  file: string;
  exportName: string;
  /** Size of the module Lambda loads (minified JavaScript, source map excluded). */
  bytes: number;
};

export type LayerBundle = {
  id: string;
  /** The `nodejs/node_modules` directory Lambda mounts at /opt/nodejs/node_modules. */
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

export type BuildProperties = Record<string, unknown>;

/**
 * The BuildProperties SAM's esbuild workflow (aws-lambda-builders `nodejs_npm_esbuild`) understands,
 * mapped to esbuild's JS API. Anything else in the template fails the build rather than being
 * silently ignored here and treated differently by `sam build`.
 */
function esbuildOptions(id: string, props: BuildProperties, root: string, outdir: string): BuildOptions {
  const options: BuildOptions = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    outdir,
    // SAM's defaults when a property is absent.
    target: 'es2020',
    format: 'cjs',
    minify: true,
    logLevel: 'warning',
  };
  for (const [key, value] of Object.entries(props)) {
    switch (key) {
      case 'EntryPoints':
        options.entryPoints = strings(id, key, value);
        break;
      case 'Minify':
        options.minify = value === true || value === 'true';
        break;
      case 'Sourcemap':
        options.sourcemap = value === true || value === 'true';
        break;
      case 'SourcesContent':
        options.sourcesContent = value === true || value === 'true';
        break;
      case 'Target':
        options.target = String(value);
        break;
      case 'Format':
        options.format = String(value) as BuildOptions['format'];
        break;
      case 'MainFields':
        options.mainFields = String(value).split(',');
        break;
      case 'External':
        options.external = strings(id, key, value);
        break;
      case 'Loader':
        options.loader = Object.fromEntries(
          strings(id, key, value).map(pair(id, key)),
        ) as BuildOptions['loader'];
        break;
      case 'OutExtension':
        options.outExtension = Object.fromEntries(strings(id, key, value).map(pair(id, key)));
        break;
      case 'Banner':
        options.banner = Object.fromEntries(strings(id, key, value).map(pair(id, key)));
        break;
      default:
        throw new Error(
          `${id}: Metadata.BuildProperties.${key} is not an option SAM's esbuild build passes on`,
        );
    }
  }
  if (!options.entryPoints) throw new Error(`${id}: Metadata.BuildProperties.EntryPoints is required`);
  return options;
}

function strings(id: string, key: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new Error(`${id}: Metadata.BuildProperties.${key} must be a list`);
  return value.map(String);
}

/** `.js=.mjs` → ['.js', '.mjs'], as SAM passes `--out-extension:.js=.mjs` to esbuild. */
function pair(id: string, key: string) {
  return (item: string): [string, string] => {
    const at = item.indexOf('=');
    if (at < 1) throw new Error(`${id}: Metadata.BuildProperties.${key} item "${item}" is not name=value`);
    return [item.slice(0, at), item.slice(at + 1)];
  };
}

async function buildFunction(
  template: LocalTemplate,
  id: string,
  metadata: Record<string, unknown>,
  root: string,
  outDir: string,
): Promise<FunctionBundle> {
  const fn = template.functions().find((candidate) => candidate.id === id);
  if (!fn) throw new Error(`${id} is not a function of template.yaml`);
  const props = (metadata.BuildProperties ?? {}) as BuildProperties;
  const outdir = join(outDir, 'functions', id);
  rmSync(outdir, { recursive: true, force: true });
  const options = esbuildOptions(id, props, root, outdir);
  await build(options);
  // Lambda loads `<Handler module>` + the output extension from the artifact root.
  const moduleName = (
    (template.resourcesOfType('AWS::Serverless::Function').find(([candidate]) => candidate === id)?.[1]
      .Properties?.Handler as string | undefined) ?? ''
  ).replace(/\.[^.]+$/, '');
  const extension = options.outExtension?.['.js'] ?? '.js';
  const file = join(outdir, `${moduleName}${extension}`);
  let bytes: number;
  try {
    bytes = statSync(file).size;
  } catch {
    throw new Error(
      `${id}: the bundle has no ${relative(root, file)}, the module its Handler names (built: ${readdirSync(outdir).join(', ')})`,
    );
  }
  return { id, file, exportName: fn.exportName, bytes };
}

/** The Makefile target's lines, with `\` continuations joined and Make variables substituted. */
function makeRecipe(makefile: string, target: string, variables: Record<string, string>): string[] {
  const text = readFileSync(makefile, 'utf8').replace(/\\\n\s*/g, ' ');
  const lines = text.split('\n');
  const assigned: Record<string, string> = { ...variables };
  const expand = (line: string) =>
    line.replace(/\$\((\w+)\)/g, (_, name: string) => {
      const value = assigned[name];
      if (value === undefined) throw new Error(`${makefile}: $(${name}) has no value`);
      return value;
    });
  for (const line of lines) {
    const assignment = /^(\w+)\s*[:?]?=\s*(.*)$/.exec(line);
    if (assignment) assigned[assignment[1] as string] = expand(assignment[2] as string);
  }
  const start = lines.findIndex((line) => line.startsWith(`${target}:`));
  if (start < 0) throw new Error(`${makefile} has no ${target} target`);
  const recipe: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('\t')) break;
    recipe.push(expand(line.trim()));
  }
  return recipe;
}

/** Words of one shell command line: quotes group and are removed (`--outdir="a b"` → `--outdir=a b`). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/(?:'[^']*'|"[^"]*"|[^\s'"]+)+/g)) {
    words.push(
      match[0].replace(
        /'([^']*)'|"([^"]*)"/g,
        (_, single?: string, double?: string) => single ?? double ?? '',
      ),
    );
  }
  return words;
}

async function buildLayer(
  id: string,
  contentUri: string,
  root: string,
  outDir: string,
): Promise<LayerBundle> {
  const layerRoot = join(root, contentUri);
  const artifacts = join(outDir, 'layer');
  rmSync(artifacts, { recursive: true, force: true });
  const recipe = makeRecipe(join(layerRoot, 'Makefile'), `build-${id}`, { ARTIFACTS_DIR: artifacts });
  const esbuildLine = recipe.find((line) => /\besbuild(@[^\s]+)?\s/.test(line));
  if (!esbuildLine) throw new Error(`${contentUri}/Makefile build-${id} runs no esbuild`);
  const words = shellWords(esbuildLine);
  const at = words.findIndex((word) => /^esbuild(@.*)?$/.test(word));
  const pinned = /^esbuild@(.+)$/.exec(words[at] ?? '')?.[1];
  if (pinned && !esbuildVersion.startsWith(pinned)) {
    console.warn(`note: the Makefile pins esbuild@${pinned}; building with the installed ${esbuildVersion}`);
  }
  for (const line of recipe) {
    const mkdir = /^mkdir -p (.+)$/.exec(line);
    if (mkdir)
      for (const dir of shellWords(mkdir[1] as string))
        mkdirSync(resolve(layerRoot, dir), { recursive: true });
  }
  const args = words.slice(at + 1);
  for (const arg of args.filter((word) => word.startsWith('--outdir='))) {
    const outdir = resolve(layerRoot, arg.slice('--outdir='.length));
    if (!outdir.startsWith(`${artifacts}/`))
      throw new Error(`${contentUri}/Makefile writes outside ${artifacts}: ${arg}`);
  }
  const binary = join(root, 'node_modules', 'esbuild', 'bin', 'esbuild');
  await promisify(execFile)(binary, [...args, '--log-level=warning'], { cwd: layerRoot });
  // `printf '%s\n' '<json>' > "<file>"`: the package.json that makes the bundle `@authkit/core`.
  for (const line of recipe.filter((candidate) => candidate.startsWith('printf '))) {
    const [command, target] = line.split(/\s>\s/);
    const [, format, content] = shellWords(command ?? '');
    if (format !== '%s\\n' || content === undefined || !target)
      throw new Error(`${contentUri}/Makefile: cannot read "${line}"`);
    writeFileSync(resolve(layerRoot, shellWords(target)[0] as string), `${content}\n`);
  }
  const nodeModules = join(artifacts, 'nodejs', 'node_modules');
  const files = listFiles(nodeModules)
    .filter((file) => file.endsWith('.mjs'))
    .map((file) => ({ path: relative(nodeModules, file), bytes: statSync(file).size }));
  return { id, nodeModules, files, bytes: files.reduce((sum, file) => sum + file.bytes, 0) };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

export type BuildOverrides = {
  root?: string;
  outDir?: string;
  /** What-if builds (the benchmark's): adjust a function's BuildProperties before bundling. */
  adjustProperties?: (id: string, properties: BuildProperties) => BuildProperties;
};

export async function buildFunctions(options: BuildOverrides = {}): Promise<BuildResult> {
  const root = options.root ?? REPO_ROOT;
  const outDir = options.outDir ?? join(root, 'dist');
  const template = new LocalTemplate(root);
  const layers: LayerBundle[] = [];
  for (const [id, resource] of template.resourcesOfType('AWS::Serverless::LayerVersion')) {
    const method = resource.Metadata?.BuildMethod;
    if (method !== 'makefile') throw new Error(`${id}: BuildMethod ${String(method)} is not built here`);
    layers.push(await buildLayer(id, String(resource.Properties?.ContentUri), root, outDir));
  }
  const functions = await Promise.all(
    template.resourcesOfType('AWS::Serverless::Function').map(([id, resource]) => {
      const metadata = (resource.Metadata ?? {}) as Record<string, unknown>;
      if (metadata.BuildMethod !== 'esbuild')
        throw new Error(`${id}: BuildMethod ${String(metadata.BuildMethod)} is not built here`);
      const properties = (metadata.BuildProperties ?? {}) as BuildProperties;
      const adjusted = options.adjustProperties?.(id, properties) ?? properties;
      return buildFunction(template, id, { ...metadata, BuildProperties: adjusted }, root, outDir);
    }),
  );
  return {
    outDir,
    functions,
    layers,
    oversized: functions.filter((fn) => fn.bytes > MAX_FUNCTION_BYTES),
  };
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
    `\nBuilt ${result.functions.length} functions and ${result.layers.length} layer(s) into ${relative(process.cwd(), result.outDir) || '.'}/ in ${Math.round(performance.now() - started)} ms (esbuild ${esbuildVersion}).`,
  );
  if (result.oversized.length > 0) {
    console.error(`${result.oversized.length} function bundle(s) exceed ${MAX_FUNCTION_BYTES} bytes.`);
    process.exitCode = 1;
  }
}
