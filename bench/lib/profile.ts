/**
 * Reading V8 CPU profiles (`.cpuprofile`, from `node --cpu-prof` or the inspector): self time per
 * frame and per package, and each sample's owner — the handlers, the local runtime (emulated API
 * Gateway / Step Functions / inbox), or the load generator — by the nearest application frame on
 * its stack.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
export type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
export type CpuProfile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

export type Owner = 'handler' | 'runtime' | 'client' | 'unattributed' | 'gc' | 'program';

/**
 * The npm packages the Lambda handlers use (everything a full bundle of every function entry point,
 * with nothing external, pulls in). A frame in one of these is the handlers' unless a caller frame
 * says otherwise (the runtime also calls @authkit/core, e.g. to normalise inbox addresses).
 */
export async function handlerPackages(root: string, entryPoints: string[]): Promise<Set<string>> {
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'es2024',
    write: false,
    metafile: true,
    outdir: join(root, 'dist', 'bench', 'metafile'),
    logLevel: 'silent',
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const name = packageOf(input);
    if (name) packages.add(name);
  }
  return packages;
}

export function packageOf(path: string): string | undefined {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const [first, second] = path.slice(at + 'node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : first;
}

export class ProfileReader {
  readonly #handlerPackages: Set<string>;
  readonly #rootUrl: string;

  constructor(root: string, packages: Set<string>) {
    this.#handlerPackages = packages;
    this.#rootUrl = pathToFileURL(root).href;
  }

  /** Where a frame's code lives: a repo folder, an npm package, Node's internals or V8 itself. */
  category(frame: CallFrame): string {
    const { url, functionName } = frame;
    if (!url) {
      if (functionName.startsWith('(')) return functionName;
      return '(native)';
    }
    if (url.startsWith('node:')) return 'node:internal';
    const pkg = packageOf(url);
    if (pkg) return pkg;
    const path = url.startsWith(this.#rootUrl) ? url.slice(this.#rootUrl.length + 1) : url;
    if (path.startsWith('functions/')) return 'functions/';
    if (path.startsWith('layers/core/')) return '@authkit/core (layers/core)';
    if (path.startsWith('local/')) return 'local/ (runtime)';
    if (path.startsWith('bench/')) return 'bench/ (load generator)';
    return path;
  }

  /** A short location: package-relative, repo-relative or Node's own `node:` URL. */
  location(url: string): string {
    if (!url) return '';
    const at = url.lastIndexOf('node_modules/');
    if (at >= 0) return url.slice(at + 'node_modules/'.length);
    if (url.startsWith(this.#rootUrl)) return url.slice(this.#rootUrl.length + 1);
    return url;
  }

  /** strong: decides the owner; weak: the owner unless a caller frame decides otherwise. */
  #ownerOf(frame: CallFrame): { owner: Owner; strong: boolean; boundary?: boolean } | undefined {
    const category = this.category(frame);
    // LocalLambda.invoke calls the handler synchronously: handler frames above it are the handler's.
    if (/\/local\/lambda\.ts(\?|$)/.test(frame.url))
      return { owner: 'runtime', strong: true, boundary: true };
    if (category === 'functions/') return { owner: 'handler', strong: true };
    if (category === 'local/ (runtime)') return { owner: 'runtime', strong: true };
    if (category === 'bench/ (load generator)') return { owner: 'client', strong: true };
    if (category === '@authkit/core (layers/core)') return { owner: 'handler', strong: false };
    const pkg = packageOf(frame.url);
    if (pkg) {
      return this.#handlerPackages.has(pkg)
        ? { owner: 'handler', strong: false }
        : { owner: 'runtime', strong: true };
    }
    return undefined;
  }

  analyse(profile: CpuProfile): ProfileAnalysis {
    const byId = new Map<number, ProfileNode>();
    const parent = new Map<number, number>();
    for (const node of profile.nodes) {
      byId.set(node.id, node);
      for (const child of node.children ?? []) parent.set(child, node.id);
    }
    const ownerCache = new Map<number, Owner>();
    const ownerOfNode = (id: number): Owner => {
      const cached = ownerCache.get(id);
      if (cached) return cached;
      const leaf = byId.get(id);
      let result: Owner = 'unattributed';
      if (leaf?.callFrame.functionName === '(garbage collector)') result = 'gc';
      else if (leaf?.callFrame.functionName === '(program)') result = 'program';
      else {
        let weak: Owner | undefined;
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
          const frame = byId.get(at)?.callFrame;
          if (!frame) break;
          const decided = this.#ownerOf(frame);
          if (!decided) continue;
          if (decided.strong) {
            if (!(decided.boundary && weak !== undefined)) weak = decided.owner;
            break;
          }
          weak ??= decided.owner;
        }
        result = weak ?? 'unattributed';
      }
      ownerCache.set(id, result);
      return result;
    };

    // Sample i lasts until sample i + 1 (as DevTools counts it).
    const times: number[] = [];
    let t = profile.startTime;
    for (const delta of profile.timeDeltas) {
      t += delta;
      times.push(t);
    }
    const samples: Sample[] = [];
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i] as number;
      const node = byId.get(id);
      if (!node) continue;
      const at = times[i] as number;
      const duration = (times[i + 1] ?? profile.endTime) - at;
      if (duration <= 0) continue;
      samples.push({ node, at, durationUs: duration, owner: ownerOfNode(id) });
    }
    return new ProfileAnalysis(this, samples);
  }
}

export type Sample = { node: ProfileNode; at: number; durationUs: number; owner: Owner };

export type FrameRow = { frame: string; category: string; selfMs: number; share: number };

export class ProfileAnalysis {
  readonly samples: Sample[];
  readonly #reader: ProfileReader;

  constructor(reader: ProfileReader, samples: Sample[]) {
    this.#reader = reader;
    this.samples = samples;
  }

  /** Samples the process spent running (V8's "(idle)" excluded). */
  busy(filter: (sample: Sample) => boolean = () => true): Sample[] {
    return this.samples.filter((s) => s.node.callFrame.functionName !== '(idle)' && filter(s));
  }

  busyMs(filter?: (sample: Sample) => boolean): number {
    return this.busy(filter).reduce((sum, s) => sum + s.durationUs, 0) / 1000;
  }

  byOwner(filter?: (sample: Sample) => boolean): Record<Owner, number> {
    const out: Record<Owner, number> = {
      handler: 0,
      runtime: 0,
      client: 0,
      unattributed: 0,
      gc: 0,
      program: 0,
    };
    for (const s of this.busy(filter)) out[s.owner] += s.durationUs / 1000;
    return out;
  }

  byCategory(filter?: (sample: Sample) => boolean): { category: string; selfMs: number; share: number }[] {
    const busy = this.busy(filter);
    const total = busy.reduce((sum, s) => sum + s.durationUs, 0);
    const sums = new Map<string, number>();
    for (const s of busy) {
      const category = this.#reader.category(s.node.callFrame);
      sums.set(category, (sums.get(category) ?? 0) + s.durationUs);
    }
    return [...sums]
      .map(([category, us]) => ({ category, selfMs: us / 1000, share: us / total }))
      .sort((a, b) => b.selfMs - a.selfMs);
  }

  topFrames(limit: number, filter?: (sample: Sample) => boolean): FrameRow[] {
    const busy = this.busy(filter);
    const total = busy.reduce((sum, s) => sum + s.durationUs, 0);
    const sums = new Map<string, { category: string; us: number }>();
    for (const s of busy) {
      const frame = s.node.callFrame;
      const file = this.#reader.location(frame.url);
      const key = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
      const entry = sums.get(key) ?? { category: this.#reader.category(frame), us: 0 };
      entry.us += s.durationUs;
      sums.set(key, entry);
    }
    return [...sums]
      .map(([frame, { category, us }]) => ({ frame, category, selfMs: us / 1000, share: us / total }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, limit);
  }
}
