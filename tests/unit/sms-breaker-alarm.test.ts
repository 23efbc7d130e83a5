/**
 * The alarm template.yaml sets on the SMS breaker watches the metric the send step really emits
 * when it trips a scope: the same namespace, name and dimensions (a metric alarm matches dimensions
 * exactly, so one dimension more or less and it would never fire).
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { awsRoot } from '../../functions/_shared/root.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';

type MetricQuery = {
  Id: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
  };
};

const template = new LocalTemplate(REPO_ROOT, { parameters: { TokenIssuer: 'https://auth.test' } });
const [, alarm] =
  template.resourcesOfType('AWS::CloudWatch::Alarm').find(([id]) => id === 'SmsBreakerTrippedAlarm') ?? [];
const STACK = 'authkit-alarm-spec';

/** EMF lines written while `act` runs, parsed. */
async function emitted(act: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await act();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line));
}

describe('the SMS breaker alarm', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.POWERTOOLS_SERVICE_NAME = STACK;
    const globals = template.functionGlobals() as { Environment: { Variables: Record<string, string> } };
    process.env.POWERTOOLS_METRICS_NAMESPACE = globals.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE;
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it.each(['country', 'prefix'] as const)('watches what a %s trip emits', async (scope) => {
    // Prepare: the send step as template.yaml configures it
    const send = template.functions().find((fn) => fn.id === 'SendChallengeFunction');
    const deps = await awsRoot(send?.environment ?? {}).send();

    // Act
    const [metric] = await emitted(async () => deps.challenges.smsBreaker.tripped(scope));

    // Assess
    const queries = ((alarm?.Properties ?? {}) as { Metrics?: MetricQuery[] }).Metrics ?? [];
    const watched = queries.find((query) => query.Id === scope)?.MetricStat?.Metric;
    const dimensions = Object.fromEntries(
      (watched?.Dimensions ?? []).map(({ Name, Value }) => [
        Name,
        Value === STACK || (Value as { Ref?: string })?.Ref === 'AWS::StackName' ? STACK : Value,
      ]),
    );
    expect(metric).toMatchObject({ [watched?.MetricName ?? '?']: 1, ...dimensions });
    const emf = (metric?._aws ?? {}) as {
      CloudWatchMetrics?: { Namespace: string; Dimensions: string[][] }[];
    };
    const [directive] = emf.CloudWatchMetrics ?? [];
    expect(directive?.Namespace).toBe(watched?.Namespace);
    expect([...(directive?.Dimensions[0] ?? [])].sort()).toEqual(Object.keys(dimensions).sort());
  });
});
