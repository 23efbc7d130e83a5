/**
 * (a) Complete sign-in flows against the local runtime, which runs in a child process
 * (`node local/main.ts`) so that its memory and CPU are its own; the load generator is this process.
 * Also: which HTTP client costs the load generator least, and a CPU profile of the runtime under load.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Started, startNode, startRuntimeChild } from './lib/children.ts';
import { type Client, type FlowTiming, fetchClient, httpClient, signInFlow } from './lib/client.ts';
import { commandOf, cpuMsOf, descendantsOf, memoryOf } from './lib/proc.ts';
import type { CpuProfile, ProfileReader, Sample } from './lib/profile.ts';
import { round, type Summary, summarize } from './lib/stats.ts';

export const BENCH_PARAMETERS = {
  RateLimitPerIp: '1000000',
  RateLimitPerNetwork: '1000000',
  RateLimitGlobal: '100000000',
  RateLimitPerIdentifier: '1000',
  LogLevel: 'ERROR',
};

export type LoadResult = {
  concurrency: number;
  flows: number;
  errors: number;
  errorSamples: string[];
  elapsedMs: number;
  flowsPerSecond: number;
  latencyMs: Summary;
  stepsP50Ms: { start: number; inbox: number; verify: number };
};

/** Runs flows at a fixed concurrency until `count` flows are done or `durationMs` has passed. */
export async function runLoad(
  client: Client,
  options: { concurrency: number; count?: number; durationMs?: number },
): Promise<LoadResult> {
  const timings: FlowTiming[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let started = 0;
  const t0 = performance.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : t0 + options.durationMs;
  const more = () => started < (options.count ?? Number.POSITIVE_INFINITY) && performance.now() < deadline;
  const worker = async () => {
    while (more()) {
      started++;
      try {
        timings.push(await signInFlow(client));
      } catch (error) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String((error as Error).message ?? error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedMs = performance.now() - t0;
  const p50 = (pick: (t: FlowTiming) => number) => summarize(timings.map(pick)).p50;
  return {
    concurrency: options.concurrency,
    flows: timings.length,
    errors,
    errorSamples,
    elapsedMs: round(elapsedMs, 1),
    flowsPerSecond: round((timings.length * 1000) / elapsedMs, 1),
    latencyMs: summarize(timings.map((t) => t.totalMs)),
    stepsP50Ms: {
      start: p50((t) => t.startMs),
      inbox: p50((t) => t.inboxMs),
      verify: p50((t) => t.verifyMs),
    },
  };
}

export type ClientCalibration = { client: string; cpuUsPerRequest: number; wallUsPerRequest: number }[];

/**
 * The load generator shares the machine's two cores with the runtime, so its own CPU per request
 * matters. Both clients call a trivial server (another process) sequentially; only this process's
 * CPU is counted.
 */
export async function calibrateClients(root: string, requests = 3000): Promise<ClientCalibration> {
  const server = await startNode(
    [
      '--input-type=module',
      '-e',
      `import { createServer } from 'node:http';
       const s = createServer((q, r) => { q.resume(); q.on('end', () => r.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')); });
       s.keepAliveTimeout = 60000;
       s.listen(0, '127.0.0.1', () => console.log('listening at http://127.0.0.1:' + s.address().port));
       process.once('SIGTERM', () => process.exit(0));`,
    ],
    /listening at (http:\/\/\S+)/,
    { cwd: root },
  );
  try {
    const out: ClientCalibration = [];
    for (const make of [httpClient, fetchClient]) {
      const client = make(server.url);
      const body = JSON.stringify({ identifier: 'bench@example.com' });
      for (let i = 0; i < 300; i++) await client.call('POST', '/v1/auth/start', body);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < requests; i++) await client.call('POST', '/v1/auth/start', body);
      const wallUs = (performance.now() - t0) * 1000;
      const cpu = process.cpuUsage(cpu0);
      out.push({
        client: client.name,
        cpuUsPerRequest: round((cpu.user + cpu.system) / requests, 1),
        wallUsPerRequest: round(wallUs / requests, 1),
      });
      client.close();
    }
    return out;
  } finally {
    await server.stop();
  }
}

type Resources = {
  runtimeRssMaxMb: number;
  runtimeRssEndMb: number;
  runtimeRssPeakMb: number;
  runtimeCpuMsPerFlow: number;
  runtimeCpuCoreShare: number;
  emulatorsRssMb: number;
  emulatorsCpuMsPerFlow: number;
  emulators: string[];
  loadGeneratorCpuMsPerFlow: number;
};

/** Samples the runtime child's RSS while `work` runs and accounts every process's CPU around it. */
async function withResources<T extends LoadResult>(
  runtime: Started,
  work: () => Promise<T>,
): Promise<T & { resources: Resources }> {
  const pid = runtime.child.pid as number;
  const emulators = descendantsOf(pid);
  let rssMax = 0;
  const sample = () => {
    rssMax = Math.max(rssMax, memoryOf(pid)?.rss ?? 0);
  };
  const timer = setInterval(sample, 100);
  const runtimeCpu0 = cpuMsOf(pid);
  const emulatorsCpu0 = emulators.reduce((sum, p) => sum + cpuMsOf(p), 0);
  const self0 = process.cpuUsage();
  const result = await work();
  clearInterval(timer);
  sample();
  const self = process.cpuUsage(self0);
  const runtimeCpu = cpuMsOf(pid) - runtimeCpu0;
  const emulatorsCpu = emulators.reduce((sum, p) => sum + cpuMsOf(p), 0) - emulatorsCpu0;
  const memory = memoryOf(pid);
  const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
  const flows = Math.max(1, result.flows + result.errors);
  return {
    ...result,
    resources: {
      runtimeRssMaxMb: mb(rssMax),
      runtimeRssEndMb: mb(memory?.rss ?? 0),
      runtimeRssPeakMb: mb(memory?.peak ?? 0),
      runtimeCpuMsPerFlow: round(runtimeCpu / flows, 3),
      runtimeCpuCoreShare: round(runtimeCpu / result.elapsedMs, 3),
      emulatorsRssMb: mb(emulators.reduce((sum, p) => sum + (memoryOf(p)?.rss ?? 0), 0)),
      emulatorsCpuMsPerFlow: round(emulatorsCpu / flows, 3),
      emulators: emulators.map(commandOf),
      loadGeneratorCpuMsPerFlow: round((self.user + self.system) / 1000 / flows, 3),
    },
  };
}

export type FlowsResult = {
  client: string;
  runtimeStartMs: number;
  /** RSS of the runtime right after it reported ready, before any request. */
  runtimeIdleRssMb: number;
  warmup: LoadResult;
  c1: LoadResult & { resources: Resources };
  c16: LoadResult & { resources: Resources };
  c1AfterLoad: LoadResult & { resources: Resources };
};

export async function measureFlows(
  root: string,
  options: { makeClient: (url: string) => Client; c1Flows: number; c16Ms: number; warmupMs: number },
): Promise<FlowsResult> {
  const t0 = performance.now();
  const runtime = await startRuntimeChild(root, BENCH_PARAMETERS);
  const runtimeStartMs = round(performance.now() - t0, 0);
  const client = options.makeClient(runtime.url);
  try {
    // JIT (Node's and DynamoDB Local's JVM, which needs a few thousand requests), connection pools.
    const idle = memoryOf(runtime.child.pid as number);
    const warmup = await runLoad(client, { concurrency: 16, durationMs: options.warmupMs });
    await runLoad(client, { concurrency: 1, count: 100 });
    const c1 = await withResources(runtime, () =>
      runLoad(client, { concurrency: 1, count: options.c1Flows }),
    );
    const c16 = await withResources(runtime, () =>
      runLoad(client, { concurrency: 16, durationMs: options.c16Ms }),
    );
    const c1AfterLoad = await withResources(runtime, () =>
      runLoad(client, { concurrency: 1, count: Math.min(200, options.c1Flows) }),
    );
    return {
      client: client.name,
      runtimeStartMs,
      runtimeIdleRssMb: round((idle?.rss ?? 0) / 1024 / 1024, 1),
      warmup,
      c1,
      c16,
      c1AfterLoad,
    };
  } finally {
    client.close();
    await runtime.stop();
  }
}

export type ProfileResult = {
  load: LoadResult;
  samplingIntervalUs: number;
  profileFile: string;
  busyMs: number;
  windowMs: number;
  /** Main-thread CPU (profile samples that were not idle) per completed flow. */
  cpuMsPerFlow: number;
  byOwner: Record<string, number>;
  byCategory: { category: string; selfMs: number; share: number }[];
  topFrames: { frame: string; category: string; selfMs: number; share: number }[];
  /** Top frames among samples owned by the runtime (emulators), share of that owner's time. */
  runtimeTopFrames: { frame: string; category: string; selfMs: number; share: number }[];
  /** Top frames among samples with no application frame on the stack (Node internals only). */
  unattributedTopFrames: { frame: string; category: string; selfMs: number; share: number }[];
};

/** The runtime under c16 load with `node --cpu-prof`; the profile is written when it exits. */
export async function profileRuntime(
  root: string,
  reader: ProfileReader,
  options: { makeClient: (url: string) => Client; durationMs: number; intervalUs: number },
): Promise<ProfileResult> {
  const dir = join(root, 'dist', 'bench', 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const runtime = await startRuntimeChild(root, BENCH_PARAMETERS, [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    '--cpu-prof-name=runtime-c16.cpuprofile',
    `--cpu-prof-interval=${options.intervalUs}`,
  ]);
  const client = options.makeClient(runtime.url);
  let load: LoadResult;
  // Only the samples of the measured window count (not start-up, not warm-up). V8's profile clock
  // and process.hrtime are both CLOCK_MONOTONIC, shared by every process on the machine.
  let window: [number, number] = [0, 0];
  try {
    await runLoad(client, { concurrency: 16, durationMs: 3000 });
    const from = Number(process.hrtime.bigint() / 1000n);
    load = await runLoad(client, { concurrency: 16, durationMs: options.durationMs });
    window = [from, Number(process.hrtime.bigint() / 1000n)];
  } finally {
    client.close();
    await runtime.stop();
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile in ${dir}; runtime output:\n${runtime.output().slice(-2000)}`);
  const analysis = reader.analyse(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
  const inWindow = (sample: Sample) => sample.at >= window[0] && sample.at <= window[1];
  const busyMs = analysis.busyMs(inWindow);
  if (busyMs === 0) throw new Error('the CPU profile has no samples inside the measured window');
  const byOwner = Object.fromEntries(
    Object.entries(analysis.byOwner(inWindow)).map(([owner, ms]) => [owner, round(ms / busyMs, 4)]),
  );
  return {
    load,
    samplingIntervalUs: options.intervalUs,
    profileFile: join('dist', 'bench', 'profiles', file),
    busyMs: round(busyMs, 1),
    byOwner,
    windowMs: round((window[1] - window[0]) / 1000, 1),
    cpuMsPerFlow: round(busyMs / Math.max(1, load.flows), 3),
    byCategory: analysis
      .byCategory(inWindow)
      .slice(0, 20)
      .map((row) => ({
        ...row,
        selfMs: round(row.selfMs, 1),
        share: round(row.share, 4),
      })),
    runtimeTopFrames: analysis
      .topFrames(12, (sample) => inWindow(sample) && sample.owner === 'runtime')
      .map((row) => ({ ...row, selfMs: round(row.selfMs, 1), share: round(row.share, 4) })),
    unattributedTopFrames: analysis
      .topFrames(12, (sample) => inWindow(sample) && sample.owner === 'unattributed')
      .map((row) => ({ ...row, selfMs: round(row.selfMs, 1), share: round(row.share, 4) })),
    topFrames: analysis.topFrames(30, inWindow).map((row) => ({
      ...row,
      selfMs: round(row.selfMs, 1),
      share: round(row.share, 4),
    })),
  };
}
