/**
 * (b) Handler CPU per sign-in, with the runtime in this process and everything that is not a
 * handler's own work kept out of it:
 *   - DynamoDB Local is a JVM (its own process), reached through a counting proxy (another process)
 *     that also gives the DynamoDB call and capacity counts for the cost model;
 *   - SES local runs as its own process (`aws-ses-v2-local` CLI);
 *   - flows run strictly one at a time, so Lambda invocations nest (Start ⊃ the four steps) and
 *     never overlap.
 * Every `LocalLambda.invoke` is wrapped: `process.cpuUsage()` (all threads of this process, so the
 * libuv threadpool work of WebCrypto's ES256 signing counts too) is read at each invocation boundary
 * and the CPU since the previous boundary is charged to the innermost running invocation. For the
 * four steps and Verify that is the handler's own CPU: nothing else in this process runs while they
 * do (the load generator and the API emulation are waiting on them). Start's windows also hold the
 * emulated Step Functions service (the runtime's endpoint and the ASL interpreter between steps); a
 * second pass under the V8 sampling profiler measures the handler's share of Start's windows, and
 * only that share is counted.
 */
import { createHmac, randomInt, sign as rawSign } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { deriveSigningKey } from '@authkit/core';
import { SignJWT } from 'jose';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import { BENCH_PARAMETERS } from './flows.ts';
import { startDynamoCounter, startSesChild } from './lib/children.ts';
import { type Client, httpClient, signInFlow } from './lib/client.ts';
import type { CpuProfile, Owner, ProfileReader } from './lib/profile.ts';
import { round, summarize } from './lib/stats.ts';

type Invocation = {
  id: string;
  cpuUs: number;
  wallMs: number;
  nested: string[];
  firstNestedAt?: number;
  lastNestedEnd?: number;
};

type PerFunction = {
  invocations: number;
  perSignIn: number;
  cpuUsMean: number;
  cpuUsP50: number;
  wallMsMean: number;
  wallMsP50: number;
  wallMsP99: number;
  /** Lambda bills duration rounded up to the next millisecond, per invocation. */
  billedMsMean: number;
};

export type DynamoCounts = Record<
  string,
  { calls: number; items: number; readUnits: number; writeUnits: number; failedConditions: number }
>;

export type HandlerCpuResult = {
  flows: number;
  perFunction: Record<string, PerFunction>;
  /** CPU charged to Start's windows that the profiler attributes to the handler (not the emulated SFN). */
  startHandlerShare: number;
  startOwnCpuUs: number;
  handlerCpuUsPerSignIn: number;
  /** Everything this process did per flow: handlers + API/SFN emulation + inbox + load generator. */
  processCpuUsPerFlow: number;
  outsideInvocationsCpuUsPerFlow: number;
  workflowWallMs: { mean: number; p50: number; p99: number };
  /** Express workflows bill duration in 100 ms units, per execution. */
  workflowBilledMsMean: number;
  profile: {
    samplingIntervalUs: number;
    clockSkewUs: number;
    /** Busy time per innermost invocation (rows) and owner of the code (columns), ms per flow. */
    matrix: Record<string, Record<Owner, number>>;
    handlerTopFrames: { frame: string; category: string; selfMs: number; share: number }[];
    handlerByCategory: { category: string; selfMs: number; share: number }[];
  };
  dynamodb: { perSignIn: DynamoCounts; writeUnits: number; readUnits: number; calls: number };
  invocationsPerSignIn: number;
  nestingViolations: number;
};

export type CryptoResult = {
  randomCodeUs: number;
  hmacSha256Us: number;
  es256JoseUs: number;
  es256JoseWallUs: number;
  es256RawUs: number;
  unavoidableUs: number;
  perSignInActualUs: number;
  note: string;
};

class InvocationMeter {
  readonly stack: Invocation[] = [];
  readonly done: Invocation[] = [];
  /** (time µs on the hrtime clock, innermost invocation or '(outside)') at every boundary. */
  readonly timeline: [number, string][] = [];
  outsideUs = 0;
  violations = 0;
  recording = false;
  #last = process.cpuUsage();

  charge(): void {
    const now = process.cpuUsage();
    const us = now.user - this.#last.user + (now.system - this.#last.system);
    this.#last = now;
    const top = this.stack.at(-1);
    if (top) top.cpuUs += us;
    else this.outsideUs += us;
  }

  mark(): void {
    if (this.recording)
      this.timeline.push([Number(process.hrtime.bigint() / 1000n), this.stack.at(-1)?.id ?? '(outside)']);
  }

  reset(): void {
    this.charge();
    this.done.length = 0;
    this.timeline.length = 0;
    this.outsideUs = 0;
    this.violations = 0;
  }
}

export async function measureHandlerCpu(
  root: string,
  reader: ProfileReader,
  options: { flows: number; profiledFlows: number; intervalUs: number },
): Promise<HandlerCpuResult> {
  const dynamodb = await startDynamoDbLocal();
  const counter = await startDynamoCounter(root, dynamodb.endpoint);
  const ses = await startSesChild(root);
  const runtime = await startLocalRuntime({
    port: 0,
    parameters: BENCH_PARAMETERS,
    dynamodbEndpoint: counter.url,
    sesEndpoint: ses.url,
    // One module instance per function, as `npm start` and separate Lambda sandboxes have.
    isolateFunctions: true,
  });
  const client: Client = httpClient(runtime.url.replace('//localhost:', '//127.0.0.1:'));
  const meter = new InvocationMeter();
  const original = runtime.lambda.invoke.bind(runtime.lambda);
  // An own property shadows the prototype method; the API and Step Functions emulators call it.
  runtime.lambda.invoke = async (functionId: string, event: unknown) => {
    meter.charge();
    const parent = meter.stack.at(-1);
    const invocation: Invocation = { id: functionId, cpuUs: 0, wallMs: 0, nested: [] };
    const t0 = performance.now();
    if (parent) {
      parent.nested.push(functionId);
      parent.firstNestedAt ??= t0;
    }
    meter.stack.push(invocation);
    meter.mark();
    try {
      return await original(functionId, event);
    } finally {
      meter.charge();
      const t1 = performance.now();
      invocation.wallMs = t1 - t0;
      if (parent) parent.lastNestedEnd = t1;
      const at = meter.stack.lastIndexOf(invocation);
      if (at !== meter.stack.length - 1) meter.violations++;
      meter.stack.splice(at, 1);
      meter.done.push(invocation);
      meter.mark();
    }
  };

  try {
    for (let i = 0; i < 150; i++) await signInFlow(client);

    // Pass 1: CPU by invocation boundaries, no profiler attached.
    await fetch(`${counter.url}/__reset`, { method: 'POST' });
    meter.reset();
    const process0 = process.cpuUsage();
    for (let i = 0; i < options.flows; i++) await signInFlow(client);
    meter.charge();
    const processCpu = process.cpuUsage(process0);
    const dynamo = (await (await fetch(`${counter.url}/__counts`)).json()) as DynamoCounts;
    const invocations = [...meter.done];
    const outsideUs = meter.outsideUs;
    const violations = meter.violations;

    // Pass 2: the same flows under the sampling profiler, with the invocation timeline recorded.
    meter.reset();
    meter.recording = true;
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: options.intervalUs });
    const hrStart = Number(process.hrtime.bigint() / 1000n);
    await session.post('Profiler.start');
    for (let i = 0; i < options.profiledFlows; i++) await signInFlow(client);
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    meter.recording = false;
    session.disconnect();
    const clockSkewUs = profile.startTime - hrStart;

    const analysis = reader.analyse(profile);
    const timeline = meter.timeline;
    const innermostAt = (t: number): string => {
      let lo = 0;
      let hi = timeline.length - 1;
      let found = '(outside)';
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const [at, top] = timeline[mid] as [number, string];
        if (at <= t) {
          found = top;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found;
    };
    const matrix: Record<string, Record<Owner, number>> = {};
    for (const sample of analysis.busy()) {
      const key = innermostAt(sample.at);
      const row = matrix[key] ?? { handler: 0, runtime: 0, client: 0, unattributed: 0, gc: 0, program: 0 };
      matrix[key] = row;
      row[sample.owner] += sample.durationUs / 1000 / options.profiledFlows;
    }
    for (const row of Object.values(matrix))
      for (const owner of Object.keys(row) as Owner[]) row[owner] = round(row[owner], 4);
    const startRow = matrix.StartFunction;
    // Unattributed, GC and VM time in Start's windows is split in proportion to the attributed time.
    const startHandlerShare = startRow
      ? startRow.handler / Math.max(1e-9, startRow.handler + startRow.runtime + startRow.client)
      : 1;

    const byId = new Map<string, Invocation[]>();
    for (const inv of invocations) byId.set(inv.id, [...(byId.get(inv.id) ?? []), inv]);
    const perFunction: Record<string, PerFunction> = {};
    for (const [id, list] of byId) {
      const cpu = summarize(list.map((inv) => inv.cpuUs));
      const wall = summarize(list.map((inv) => inv.wallMs));
      perFunction[id] = {
        invocations: list.length,
        perSignIn: round(list.length / options.flows, 3),
        cpuUsMean: round(cpu.mean, 1),
        cpuUsP50: round(cpu.p50, 1),
        wallMsMean: wall.mean,
        wallMsP50: wall.p50,
        wallMsP99: wall.p99,
        billedMsMean: round(list.reduce((sum, inv) => sum + Math.ceil(inv.wallMs), 0) / list.length, 3),
      };
    }
    const startOwnCpuUs = (perFunction.StartFunction?.cpuUsMean ?? 0) * startHandlerShare;
    const handlerCpuUsPerSignIn =
      Object.entries(perFunction).reduce(
        (sum, [id, f]) => sum + (id === 'StartFunction' ? 0 : f.cpuUsMean * f.perSignIn),
        0,
      ) +
      startOwnCpuUs * (perFunction.StartFunction?.perSignIn ?? 0);
    const workflows = (byId.get('StartFunction') ?? [])
      .filter((inv) => inv.firstNestedAt !== undefined && inv.lastNestedEnd !== undefined)
      .map((inv) => (inv.lastNestedEnd as number) - (inv.firstNestedAt as number));
    const workflowSummary = summarize(workflows);

    const perSignIn: DynamoCounts = {};
    let writeUnits = 0;
    let readUnits = 0;
    let calls = 0;
    for (const [op, c] of Object.entries(dynamo)) {
      perSignIn[op] = {
        calls: round(c.calls / options.flows, 3),
        items: round(c.items / options.flows, 3),
        readUnits: round(c.readUnits / options.flows, 3),
        writeUnits: round(c.writeUnits / options.flows, 3),
        failedConditions: round(c.failedConditions / options.flows, 3),
      };
      writeUnits += c.writeUnits / options.flows;
      readUnits += c.readUnits / options.flows;
      calls += c.calls / options.flows;
    }

    const handlerRows = (s: { at: number; owner: Owner }) =>
      s.owner === 'handler' && innermostAt(s.at) !== '(outside)';
    return {
      flows: options.flows,
      perFunction,
      startHandlerShare: round(startHandlerShare, 4),
      startOwnCpuUs: round(startOwnCpuUs, 1),
      handlerCpuUsPerSignIn: round(handlerCpuUsPerSignIn, 1),
      processCpuUsPerFlow: round((processCpu.user + processCpu.system) / options.flows, 1),
      outsideInvocationsCpuUsPerFlow: round(outsideUs / options.flows, 1),
      workflowWallMs: { mean: workflowSummary.mean, p50: workflowSummary.p50, p99: workflowSummary.p99 },
      workflowBilledMsMean: round(
        workflows.reduce((sum, ms) => sum + Math.max(100, Math.ceil(ms / 100) * 100), 0) /
          Math.max(1, workflows.length),
        1,
      ),
      profile: {
        samplingIntervalUs: options.intervalUs,
        clockSkewUs: round(clockSkewUs, 0),
        matrix,
        handlerTopFrames: analysis.topFrames(25, handlerRows).map((row) => ({
          ...row,
          selfMs: round(row.selfMs / options.profiledFlows, 4),
          share: round(row.share, 4),
        })),
        handlerByCategory: analysis
          .byCategory(handlerRows)
          .slice(0, 15)
          .map((row) => ({
            ...row,
            selfMs: round(row.selfMs / options.profiledFlows, 4),
            share: round(row.share, 4),
          })),
      },
      dynamodb: {
        perSignIn,
        writeUnits: round(writeUnits, 3),
        readUnits: round(readUnits, 3),
        calls: round(calls, 3),
      },
      invocationsPerSignIn: round(invocations.length / options.flows, 3),
      nestingViolations: violations,
    };
  } finally {
    client.close();
    await runtime.close();
    await ses.stop();
    await counter.stop();
    dynamodb.stop();
  }
}

/** CPU µs per operation (all threads) over `n` sequential runs, after a warm-up of n/10. */
async function perOp(n: number, op: () => unknown): Promise<{ cpuUs: number; wallUs: number }> {
  for (let i = 0; i < n / 10; i++) await op();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op();
  const wallUs = ((performance.now() - t0) * 1000) / n;
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / n, wallUs };
}

/** The cryptography a sign-in cannot avoid: one random code, one HMAC-SHA256, one ES256 signature. */
export async function measureCrypto(): Promise<CryptoResult> {
  const pepper = 'p'.repeat(64);
  const key = await deriveSigningKey('s'.repeat(64));
  const claims = { sid: 'ses_0123456789abcdefghijkl', token_use: 'access' };
  const code = await perOp(50_000, () => String(randomInt(10 ** 6)).padStart(6, '0'));
  const hmac = await perOp(50_000, () =>
    createHmac('sha256', pepper).update('ch_0123456789abcdefghijkl:123456').digest('base64url'),
  );
  const jose = await perOp(3000, () =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer('https://auth.example.com')
      .setAudience('authkit')
      .setSubject('usr_0123456789abcdefghijkl')
      .setJti('0123456789abcdefghijkl')
      .setIssuedAt(1_800_000_000)
      .setExpirationTime(1_800_000_900)
      .sign(key.privateKey),
  );
  const signingInput = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfMDEyMzQ1Njc4OWFiY2RlZmdoaWprbCJ9');
  const raw = await perOp(3000, () =>
    rawSign('sha256', signingInput, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
  );
  const unavoidable = code.cpuUs + hmac.cpuUs + jose.cpuUs;
  return {
    randomCodeUs: round(code.cpuUs, 2),
    hmacSha256Us: round(hmac.cpuUs, 2),
    es256JoseUs: round(jose.cpuUs, 1),
    es256JoseWallUs: round(jose.wallUs, 1),
    es256RawUs: round(raw.cpuUs, 1),
    unavoidableUs: round(unavoidable, 1),
    // What a sign-in actually does today: one code, two HMACs (issue, verify), two ES256 signatures
    // (access and ID token).
    perSignInActualUs: round(code.cpuUs + 2 * hmac.cpuUs + 2 * jose.cpuUs, 1),
    note: 'µs of CPU (all threads) per operation, sequential, after warm-up',
  };
}
