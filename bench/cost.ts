/**
 * (d) Cost per million sign-ins on AWS, from what the benchmark counted and timed. Prices are the
 * AWS list prices (us-east-1, 2026); re-check them before quoting.
 */
import type { LocalTemplate } from '../local/template.ts';
import type { HandlerCpuResult } from './handler-cpu.ts';
import { round } from './lib/stats.ts';

export const PRICES = {
  restApiPerMillion: 3.5,
  httpApiPerMillion: 1.0,
  lambdaRequestPerMillion: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  expressRequestPerMillion: 1.0,
  expressPerGbSecond: 0.00001667,
  expressMinimumMb: 64,
  expressBillingUnitMs: 100,
  dynamoWritePerMillionUnits: 0.625,
  dynamoReadPerMillionUnits: 0.125,
  eventBridgeCustomPerMillion: 1.0,
  xrayPerMillionTraces: 5.0,
} as const;

export type CostLine = { item: string; quantityPerSignIn: string; usdPerMillion: number; basis: string };

export type CostResult = {
  lines: CostLine[];
  totalUsdPerMillion: number;
  targetUsdPerMillion: number;
  /** Lambda time per sign-in (ms at the configured memory) the target would still allow. */
  lambdaMsHeadroomPerSignIn: number;
  outsideTarget: CostLine[];
};

export function costPerMillion(template: LocalTemplate, measured: HandlerCpuResult): CostResult {
  const functions = new Map(template.functions().map((fn) => [fn.id, fn]));
  const apiFunctions = new Set(template.routes().map((route) => route.functionId));
  const lines: CostLine[] = [];

  const apiCalls = Object.entries(measured.perFunction)
    .filter(([id]) => apiFunctions.has(id))
    .reduce((sum, [, f]) => sum + f.perSignIn, 0);
  lines.push({
    item: 'API Gateway REST calls',
    quantityPerSignIn: `${round(apiCalls, 2)} calls`,
    usdPerMillion: round(apiCalls * PRICES.restApiPerMillion, 3),
    basis: 'counted: invocations of functions with Api events (start + verify)',
  });

  const invocations = Object.values(measured.perFunction).reduce((sum, f) => sum + f.perSignIn, 0);
  lines.push({
    item: 'Lambda requests',
    quantityPerSignIn: `${round(invocations, 2)} invocations`,
    usdPerMillion: round(invocations * PRICES.lambdaRequestPerMillion, 3),
    basis: 'counted: every LocalLambda.invoke (2 API + 4 workflow steps)',
  });

  let gbSeconds = 0;
  const durations: string[] = [];
  for (const [id, f] of Object.entries(measured.perFunction)) {
    const memoryGb = (functions.get(id)?.memoryMb ?? 128) / 1024;
    gbSeconds += f.perSignIn * (f.billedMsMean / 1000) * memoryGb;
    durations.push(`${id.replace(/Function$/, '')} ${f.billedMsMean} ms`);
  }
  lines.push({
    item: 'Lambda duration (arm64)',
    quantityPerSignIn: `${round(gbSeconds * 1000, 3)} GB-ms`,
    usdPerMillion: round(gbSeconds * PRICES.lambdaArmPerGbSecond * 1e6, 3),
    basis: `local wall time per invocation as the proxy, rounded up per ms, × MemorySize from template.yaml (${[
      ...new Set([...functions.values()].map((fn) => `${fn.memoryMb} MB`)),
    ].join(', ')}): ${durations.join(', ')}`,
  });

  const executions = measured.perFunction.StartFunction?.perSignIn ?? 0;
  lines.push({
    item: 'Step Functions Express requests',
    quantityPerSignIn: `${round(executions, 2)} executions`,
    usdPerMillion: round(executions * PRICES.expressRequestPerMillion, 3),
    basis: 'counted: one StartSyncExecution per start',
  });
  const expressGbSeconds =
    executions * (measured.workflowBilledMsMean / 1000) * (PRICES.expressMinimumMb / 1024);
  lines.push({
    item: 'Step Functions Express duration',
    quantityPerSignIn: `${measured.workflowBilledMsMean} ms billed at ${PRICES.expressMinimumMb} MB`,
    usdPerMillion: round(expressGbSeconds * PRICES.expressPerGbSecond * 1e6, 3),
    basis: `measured workflow ${measured.workflowWallMs.mean} ms mean, billed in ${PRICES.expressBillingUnitMs} ms units, 64 MB minimum`,
  });

  const { writeUnits, readUnits } = measured.dynamodb;
  const calls = Object.entries(measured.dynamodb.perSignIn)
    .map(([op, c]) => `${c.calls}× ${op}`)
    .join(', ');
  lines.push({
    item: 'DynamoDB on-demand writes',
    quantityPerSignIn: `${writeUnits} WRU`,
    usdPerMillion: round(writeUnits * PRICES.dynamoWritePerMillionUnits, 3),
    basis: `counted on the wire by a proxy (${calls}); units from DynamoDB Local's ConsumedCapacity, transactions ×2`,
  });
  lines.push({
    item: 'DynamoDB on-demand reads',
    quantityPerSignIn: `${readUnits} RRU`,
    usdPerMillion: round(readUnits * PRICES.dynamoReadPerMillionUnits, 3),
    basis: 'counted as above (strongly consistent GetItem = 1 RRU per item up to 4 KB, found or not)',
  });
  lines.push({
    item: 'EventBridge custom events',
    quantityPerSignIn: '0 events',
    usdPerMillion: 0,
    basis:
      'the flows publish nothing: PutEvents only on delivery failures and on a sign-in from a new device (NewDeviceSignIn), and the flows describe no device; SES events on the default bus are free',
  });

  const total = lines.reduce((sum, line) => sum + line.usdPerMillion, 0);
  const target = 15;
  const perMsPerSignIn =
    ((functions.values().next().value?.memoryMb ?? 512) / 1024 / 1000) * PRICES.lambdaArmPerGbSecond * 1e6;
  const nonDuration = total - (lines.find((l) => l.item === 'Lambda duration (arm64)')?.usdPerMillion ?? 0);
  return {
    lines,
    totalUsdPerMillion: round(total, 2),
    targetUsdPerMillion: target,
    lambdaMsHeadroomPerSignIn: round((target - nonDuration) / perMsPerSignIn, 0),
    outsideTarget: [
      {
        item: 'X-Ray traces (Tracing: Active)',
        quantityPerSignIn: '2 traces (start, verify) if every request is sampled',
        usdPerMillion: 2 * PRICES.xrayPerMillionTraces,
        basis: "upper bound; X-Ray's default sampling (1/s + 5%) records far fewer at volume",
      },
      {
        item: 'SES email',
        quantityPerSignIn: '1 email',
        usdPerMillion: 100,
        basis: 'message charge, excluded from the target by the product design',
      },
    ],
  };
}
