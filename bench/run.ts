/**
 * `npm run bench`: measures AuthKit against the product design's performance targets and reports; it asserts nothing.
 * Loopback traffic only; about two minutes on a 2-core machine. Writes bench/results.json.
 *
 * Options: --quick (smaller samples, ~1 minute), --skip=flows,profile,cpu,cold (comma list),
 * --out=FILE (instead of bench/results.json, for what-if runs).
 * Method and interpretation: docs/performance.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalTemplate } from '../local/template.ts';
import { type BuildResult, buildFunctions, MAX_FUNCTION_BYTES } from '../scripts/build-functions.ts';
import { type ColdStartResult, measureColdStart } from './cold-start.ts';
import { type CostResult, costPerMillion } from './cost.ts';
import {
  type ClientCalibration,
  calibrateClients,
  type FlowsResult,
  measureFlows,
  type ProfileResult,
  profileRuntime,
} from './flows.ts';
import { type CryptoResult, type HandlerCpuResult, measureCrypto, measureHandlerCpu } from './handler-cpu.ts';
import { httpClient } from './lib/client.ts';
import { handlerPackages, ProfileReader } from './lib/profile.ts';
import { round, table } from './lib/stats.ts';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, skip: { type: 'string' }, out: { type: 'string' } },
});
const OUT = values.out ?? join(ROOT, 'bench', 'results.json');
const skip = new Set((values.skip ?? '').split(',').filter(Boolean));
const quick = values.quick ?? false;
const SIZES = quick
  ? {
      warmupMs: 3000,
      c1Flows: 100,
      c16Ms: 5000,
      profileMs: 4000,
      cpuFlows: 100,
      profiledFlows: 60,
      coldReps: 2,
    }
  : {
      warmupMs: 8000,
      c1Flows: 400,
      c16Ms: 15_000,
      profileMs: 10_000,
      cpuFlows: 300,
      profiledFlows: 150,
      coldReps: 5,
    };

const progress = (message: string) => process.stderr.write(`[bench ${elapsed()}] ${message}\n`);
const startedAt = performance.now();
const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)} s`;

type Results = {
  meta: Record<string, unknown>;
  verdicts: { target: string; measured: string; met: boolean | null }[];
  client?: { calibration: ClientCalibration; chosen: string };
  build?: { functions: { id: string; bytes: number }[]; layerBytes: number; oversized: string[] };
  flows?: FlowsResult;
  profile?: ProfileResult;
  handlerCpu?: HandlerCpuResult;
  crypto?: CryptoResult;
  coldStart?: { asBuilt: ColdStartResult };
  cost?: CostResult;
};

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const results: Results = {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    commit: git(['rev-parse', '--short', 'HEAD']),
    uncommittedChanges: git(['status', '--porcelain']).split('\n').filter(Boolean).length,
    quick,
    sizes: SIZES,
  },
  verdicts: [],
};

const template = new LocalTemplate(ROOT);
const reader = new ProfileReader(
  ROOT,
  await handlerPackages(
    ROOT,
    template.functions().map((fn) => fn.entryPoint),
  ),
);

progress('building the functions and the layer as sam build would');
const build: BuildResult = await buildFunctions();
results.build = {
  functions: build.functions.map((fn) => ({ id: fn.id, bytes: fn.bytes })),
  layerBytes: build.layers.reduce((sum, layer) => sum + layer.bytes, 0),
  oversized: build.oversized.map((fn) => fn.id),
};

progress('calibrating the HTTP clients of the load generator');
const calibration = await calibrateClients(ROOT, quick ? 1000 : 3000);
const cheapest = [...calibration].sort((a, b) => a.cpuUsPerRequest - b.cpuUsPerRequest)[0];
// node:http with a keep-alive agent is the one implemented for the load; fetch is only compared.
results.client = { calibration, chosen: httpClient('http://127.0.0.1:1').name };
if (cheapest && cheapest.client !== results.client.chosen)
  progress(`note: ${cheapest.client} was cheaper than the client the load uses`);

if (!skip.has('flows')) {
  progress('(a) sign-in flows against `node local/main.ts` in a child process: c1, c16, c1 after load');
  results.flows = await measureFlows(ROOT, {
    makeClient: (url) => httpClient(url),
    c1Flows: SIZES.c1Flows,
    c16Ms: SIZES.c16Ms,
    warmupMs: SIZES.warmupMs,
  });
}
if (!skip.has('profile')) {
  progress('(a) CPU profile of the runtime child under c16 (node --cpu-prof)');
  results.profile = await profileRuntime(ROOT, reader, {
    makeClient: (url) => httpClient(url),
    durationMs: SIZES.profileMs,
    intervalUs: 250,
  });
}
if (!skip.has('cpu')) {
  progress('(b) handler CPU per sign-in, runtime in this process; DynamoDB Local and SES local outside');
  results.handlerCpu = await measureHandlerCpu(ROOT, reader, {
    flows: SIZES.cpuFlows,
    profiledFlows: SIZES.profiledFlows,
    intervalUs: 100,
  });
  progress('(b) the unavoidable cryptography');
  results.crypto = await measureCrypto();
}
if (!skip.has('cold')) {
  progress('(c) cold start of the built bundles');
  const asBuilt = await measureColdStart(ROOT, build, {
    repetitions: SIZES.coldReps,
    label: 'as template.yaml builds them',
  });
  results.coldStart = { asBuilt };
}
if (results.handlerCpu) results.cost = costPerMillion(new LocalTemplate(ROOT), results.handlerCpu);
results.meta.durationSeconds = round((performance.now() - startedAt) / 1000, 1);

// ---------------------------------------------------------------- verdicts
const verdict = (target: string, measured: string, met: boolean | null) =>
  results.verdicts.push({ target, measured, met });
const f = results.flows;
if (f) {
  verdict(
    'c16: ≥ 300 flows/s, zero errors',
    `${f.c16.flowsPerSecond} flows/s, ${f.c16.errors} errors`,
    f.c16.flowsPerSecond >= 300 && f.c16.errors === 0,
  );
  verdict('c1: p50 ≤ 6 ms', `${f.c1.latencyMs.p50} ms`, f.c1.latencyMs.p50 <= 6);
  verdict('c1: p99 ≤ 15 ms', `${f.c1.latencyMs.p99} ms`, f.c1.latencyMs.p99 <= 15);
  const rss = Math.max(f.c1.resources.runtimeRssMaxMb, f.c16.resources.runtimeRssMaxMb);
  verdict('runtime RSS ≤ 250 MB under load', `${rss} MB (max sampled, c1 + c16)`, rss <= 250);
}
const h = results.handlerCpu;
if (h)
  verdict(
    'handler CPU per sign-in ≤ 1.5 ms',
    `${round(h.handlerCpuUsPerSignIn / 1000, 2)} ms`,
    h.handlerCpuUsPerSignIn <= 1500,
  );
if (results.crypto)
  verdict(
    'unavoidable crypto well under 0.5 ms',
    `${round(results.crypto.unavoidableUs / 1000, 3)} ms`,
    results.crypto.unavoidableUs < 500,
  );
if (results.build) {
  const largest = Math.max(...results.build.functions.map((fn) => fn.bytes));
  verdict(
    'each function bundle ≤ 1 MB',
    `largest ${largest.toLocaleString('en-US')} bytes`,
    largest <= MAX_FUNCTION_BYTES,
  );
}
const cold = results.coldStart;
if (cold) {
  verdict(
    'every built bundle loads (Lambda init)',
    cold.asBuilt.failures.length
      ? `${cold.asBuilt.failures.length} of ${build.functions.length} fail`
      : 'all load',
    cold.asBuilt.failures.length === 0,
  );
  const measured = cold.asBuilt;
  if (measured.functions.length) {
    const worstImport = Math.max(...measured.functions.map((fn) => fn.importRatio));
    const worstReady = Math.max(...measured.functions.map((fn) => fn.readyRatio));
    verdict('cold start ≤ 2× empty handler: import only', `worst ${worstImport}×`, worstImport <= 2);
    verdict('cold start ≤ 2× empty handler: process start → ready', `worst ${worstReady}×`, worstReady <= 2);
  }
}
if (results.cost)
  verdict(
    '≤ $15 per million sign-ins',
    `$${results.cost.totalUsdPerMillion}`,
    results.cost.totalUsdPerMillion <= 15,
  );

writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
// The repository's formatter checks every JSON file; keep the committed results in its style.
try {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', OUT], {
    cwd: ROOT,
    stdio: 'ignore',
  });
} catch {
  progress('note: could not run biome format on the results file');
}
console.log(report(results));
progress(`done; results in ${OUT}`);

// ---------------------------------------------------------------- report
function report(r: Results): string {
  const out: string[] = [];
  const h1 = (title: string) => out.push('', title, '='.repeat(title.length));
  const ms = (value: number) => `${value} ms`;
  out.push(
    `AuthKit benchmark — ${r.meta.date} — node ${r.meta.node}, ${r.meta.cpus} × ${r.meta.cpuModel}, ${r.meta.memoryGiB} GiB — commit ${r.meta.commit}${r.meta.uncommittedChanges ? ` + ${r.meta.uncommittedChanges} uncommitted` : ''}${r.meta.quick ? ' — QUICK' : ''}`,
  );

  h1('Targets (product design)');
  out.push(
    table(
      ['target', 'measured', 'met'],
      r.verdicts.map((v) => [v.target, v.measured, v.met === null ? '—' : v.met ? 'yes' : 'NO']),
    ),
  );

  if (r.client) {
    h1('Load generator client (CPU of this process per request, trivial server in another process)');
    out.push(
      table(
        ['client', 'CPU µs/request', 'wall µs/request'],
        r.client.calibration.map((c) => [c.client, c.cpuUsPerRequest, c.wallUsPerRequest]),
      ),
    );
    out.push(`load uses: ${r.client.chosen}`);
  }

  if (r.flows) {
    const fl = r.flows;
    h1('(a) Sign-in flows: runtime = `node local/main.ts` child process, load generator = this process');
    out.push(
      `runtime ready in ${fl.runtimeStartMs} ms with ${fl.runtimeIdleRssMb} MB RSS before any request; warm-up ${fl.warmup.flows} flows at c16 (${fl.warmup.flowsPerSecond}/s) + 100 at c1`,
    );
    out.push(
      table(
        [
          'run',
          'flows',
          'errors',
          'flows/s',
          'p50',
          'p90',
          'p99',
          'max',
          'start p50',
          'inbox p50',
          'verify p50',
        ],
        (
          [
            ['c1', fl.c1],
            ['c16 (15 s)', fl.c16],
            ['c1 after c16', fl.c1AfterLoad],
          ] as const
        ).map(([name, run]) => [
          name,
          run.flows,
          run.errors,
          run.flowsPerSecond,
          run.latencyMs.p50,
          run.latencyMs.p90,
          run.latencyMs.p99,
          run.latencyMs.max,
          run.stepsP50Ms.start,
          run.stepsP50Ms.inbox,
          run.stepsP50Ms.verify,
        ]),
      ),
    );
    out.push('(latencies in ms, whole flow = start + inbox + verify)');
    for (const run of [fl.c1, fl.c16, fl.c1AfterLoad])
      for (const e of run.errorSamples) out.push(`error sample: ${e}`);
    out.push('');
    out.push(
      table(
        [
          'run',
          'runtime RSS max MB',
          'RSS end MB',
          'runtime CPU ms/flow',
          'runtime cores',
          'DynamoDB Local CPU ms/flow',
          'JVM RSS MB',
          'load gen CPU ms/flow',
        ],
        (
          [
            ['c1', fl.c1.resources],
            ['c16', fl.c16.resources],
            ['c1 after c16', fl.c1AfterLoad.resources],
          ] as const
        ).map(([name, res]) => [
          name,
          res.runtimeRssMaxMb,
          res.runtimeRssEndMb,
          res.runtimeCpuMsPerFlow,
          res.runtimeCpuCoreShare,
          res.emulatorsCpuMsPerFlow,
          res.emulatorsRssMb,
          res.loadGeneratorCpuMsPerFlow,
        ]),
      ),
    );
    const c16 = fl.c16.resources;
    const budget = c16.runtimeCpuMsPerFlow + c16.emulatorsCpuMsPerFlow + c16.loadGeneratorCpuMsPerFlow;
    out.push(
      `CPU per flow at c16, all processes: ${round(budget, 2)} ms → at most ${round(2000 / budget, 0)} flows/s on 2 cores; the runtime alone (one thread) caps at ${round(1000 / c16.runtimeCpuMsPerFlow, 0)} flows/s; 300 flows/s needs ≤ 6.67 ms per flow in all processes together`,
    );
  }

  if (r.profile) {
    const p = r.profile;
    h1(
      `Where the runtime's time goes at c16 (node --cpu-prof, ${p.samplingIntervalUs} µs, ${p.windowMs} ms window, ${p.load.flows} flows at ${p.load.flowsPerSecond}/s)`,
    );
    out.push(`main-thread CPU ${p.cpuMsPerFlow} ms per flow; profile: ${p.profileFile}`);
    out.push(
      `by owner (nearest application frame): ${Object.entries(p.byOwner)
        .map(([owner, share]) => `${owner} ${round(share * 100, 1)}%`)
        .join(', ')}`,
    );
    out.push('', 'self time by package / area:');
    out.push(
      table(
        ['area', 'self ms', 'share %'],
        p.byCategory.slice(0, 14).map((c) => [c.category, c.selfMs, round(c.share * 100, 1)]),
      ),
    );
    out.push(
      '',
      "top frames of the runtime's own code (emulated API Gateway / Step Functions / SES / inbox), share of that owner:",
    );
    out.push(
      table(
        ['frame', 'area', 'self ms', 'share %'],
        p.runtimeTopFrames.map((c) => [c.frame, c.category, c.selfMs, round(c.share * 100, 1)]),
      ),
    );
    out.push('', 'top frames with no application frame on the stack (Node internals), share of that owner:');
    out.push(
      table(
        ['frame', 'area', 'self ms', 'share %'],
        p.unattributedTopFrames.map((c) => [c.frame, c.category, c.selfMs, round(c.share * 100, 1)]),
      ),
    );
    out.push('', 'top self-time frames:');
    out.push(
      table(
        ['frame', 'area', 'self ms', 'share %'],
        p.topFrames.slice(0, 25).map((c) => [c.frame, c.category, c.selfMs, round(c.share * 100, 1)]),
      ),
    );
  }

  if (r.handlerCpu) {
    const hc = r.handlerCpu;
    h1(
      `(b) Handler CPU per sign-in (runtime in-process, ${hc.flows} sequential flows; DynamoDB Local and SES local in other processes)`,
    );
    out.push(
      table(
        [
          'function',
          'per sign-in',
          'CPU µs mean',
          'CPU µs p50',
          'wall ms mean',
          'wall ms p50',
          'wall ms p99',
          'billed ms',
        ],
        Object.entries(hc.perFunction).map(([id, fn]) => [
          id,
          fn.perSignIn,
          fn.cpuUsMean,
          fn.cpuUsP50,
          fn.wallMsMean,
          fn.wallMsP50,
          fn.wallMsP99,
          fn.billedMsMean,
        ]),
      ),
    );
    out.push(
      `StartFunction's windows also hold the emulated Step Functions service; the profiler puts ${round(hc.startHandlerShare * 100, 1)}% of them in the handler → Start's own CPU ≈ ${hc.startOwnCpuUs} µs`,
    );
    out.push(
      `HANDLER CPU PER SIGN-IN: ${hc.handlerCpuUsPerSignIn} µs (${round(hc.handlerCpuUsPerSignIn / 1000, 2)} ms)`,
    );
    out.push(
      `whole process per flow: ${hc.processCpuUsPerFlow} µs (of which outside any invocation — API emulation, inbox, load generator: ${hc.outsideInvocationsCpuUsPerFlow} µs); workflow ${ms(hc.workflowWallMs.mean)} mean`,
    );
    out.push(
      '',
      `profiled busy ms per flow, by innermost invocation (rows) and code owner (columns); clock skew ${hc.profile.clockSkewUs} µs:`,
    );
    const owners = ['handler', 'runtime', 'client', 'unattributed', 'gc', 'program'] as const;
    out.push(
      table(
        ['innermost', ...owners],
        Object.entries(hc.profile.matrix).map(([row, cells]) => [row, ...owners.map((o) => cells[o])]),
      ),
    );
    out.push('', "handlers' self time by area (ms per sign-in):");
    out.push(
      table(
        ['area', 'ms/sign-in', 'share %'],
        hc.profile.handlerByCategory.map((c) => [c.category, c.selfMs, round(c.share * 100, 1)]),
      ),
    );
    out.push('', "handlers' top self-time frames (ms per sign-in):");
    out.push(
      table(
        ['frame', 'area', 'ms/sign-in', 'share %'],
        hc.profile.handlerTopFrames
          .slice(0, 15)
          .map((c) => [c.frame, c.category, c.selfMs, round(c.share * 100, 1)]),
      ),
    );
    out.push(
      '',
      `DynamoDB per sign-in: ${hc.dynamodb.calls} calls, ${hc.dynamodb.writeUnits} WRU, ${hc.dynamodb.readUnits} RRU`,
    );
    out.push(
      table(
        ['operation', 'calls', 'items', 'WRU', 'RRU', 'failed conditions'],
        Object.entries(hc.dynamodb.perSignIn).map(([op, c]) => [
          op,
          c.calls,
          c.items,
          c.writeUnits,
          c.readUnits,
          c.failedConditions,
        ]),
      ),
    );
    if (hc.nestingViolations)
      out.push(`WARNING: ${hc.nestingViolations} invocations did not nest; CPU attribution is unreliable`);
  }
  if (r.crypto) {
    const c = r.crypto;
    out.push(
      '',
      `unavoidable crypto (${c.note}): random code ${c.randomCodeUs} µs + HMAC-SHA256 ${c.hmacSha256Us} µs + ES256 via jose ${c.es256JoseUs} µs (raw crypto.sign ${c.es256RawUs} µs) = ${c.unavoidableUs} µs; what a sign-in does today (1 code, 2 HMACs, 2 signatures) = ${c.perSignInActualUs} µs`,
    );
  }

  if (r.build) {
    h1('Bundles (npm run build)');
    out.push(
      table(
        ['function', 'bytes (minified)'],
        r.build.functions.map((fn) => [fn.id, fn.bytes]),
      ),
    );
    out.push(`layer @authkit/core: ${r.build.layerBytes.toLocaleString('en-US')} bytes (all .mjs files)`);
  }
  const cs = r.coldStart?.asBuilt;
  if (cs) {
    h1(
      `(c) Cold start — ${cs.label} (median of ${cs.repetitions} fresh processes; NODE_OPTIONS=${cs.nodeOptions || '(none)'})`,
    );
    for (const failure of cs.failures)
      out.push(`FAILS TO LOAD: ${failure.error.split('\n').slice(0, 3).join(' | ')}`);
    if (cs.functions.length > 0)
      out.push(
        `empty handler: import ${cs.empty.importMs} ms, process start → ready ${cs.empty.readyMs} ms`,
        table(
          ['module', 'bytes', 'import ms', '× empty', 'ready ms', '× empty', 'import ms w/o source maps'],
          [...cs.functions, ...cs.components].map((row) => [
            row.name,
            row.bytes ?? '',
            row.importMs,
            row.importRatio,
            row.readyMs,
            row.readyRatio,
            row.importMsNoSourceMaps ?? '',
          ]),
        ),
      );
  }
  if (r.cost) {
    h1('(d) Cost per million sign-ins on AWS (us-east-1 AWS list prices)');
    out.push(
      table(
        ['item', 'per sign-in', 'USD / million', 'basis'],
        r.cost.lines.map((l) => [l.item, l.quantityPerSignIn, l.usdPerMillion, l.basis]),
      ),
    );
    out.push(
      `TOTAL: $${r.cost.totalUsdPerMillion} per million sign-ins (target $${r.cost.targetUsdPerMillion}); ${
        r.cost.lambdaMsHeadroomPerSignIn >= 0
          ? `the target leaves ${r.cost.lambdaMsHeadroomPerSignIn} ms of 512-MB Lambda time per sign-in`
          : 'over the target even with zero Lambda duration: requests and DynamoDB units alone exceed it'
      }`,
    );
    out.push('outside the target:');
    for (const l of r.cost.outsideTarget)
      out.push(`  ${l.item}: ${l.quantityPerSignIn} → $${l.usdPerMillion}/M (${l.basis})`);
  }
  out.push('', `finished in ${r.meta.durationSeconds} s`);
  return out.join('\n');
}
