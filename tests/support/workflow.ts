/** Runs the challenge workflow the way the start function's StartSyncExecution does. */

import { generateId } from '../../layers/core/src/secrets.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import type { LocalStepFunctions, TaskInvoker } from '../../local/step-functions.ts';

export type Execution = { status: string; output?: string; error?: string; cause?: string };

export function workflowInput(identifier: string, extra: Record<string, unknown> = {}) {
  return {
    challengeId: generateId(systemRandom, 'ch'),
    sendNumber: 1,
    identifier,
    channel: identifier.startsWith('+') ? 'sms' : 'email',
    sourceIp: '203.0.113.10',
    ...extra,
  };
}

export async function execute(
  workflow: { stepFunctions: LocalStepFunctions; arn: string },
  input: Record<string, unknown>,
): Promise<Execution> {
  return (await workflow.stepFunctions.startSyncExecution({
    stateMachineArn: workflow.arn,
    name: String(input.challengeId),
    input: JSON.stringify(input),
  })) as Execution;
}

/** Records every Task invocation and lets a test make chosen ones fail like the Lambda service would. */
export class RecordingInvoker implements TaskInvoker {
  readonly calls: string[] = [];
  readonly #inner: TaskInvoker;
  readonly #faults: { functionId: string; name: string; afterInvoking: boolean; remaining: number }[] = [];

  constructor(inner: TaskInvoker) {
    this.#inner = inner;
  }

  /** The next `times` invocations of `functionId` fail with `name`, before or after really running. */
  failNext(
    functionId: string,
    name: string,
    options: { afterInvoking?: boolean; times?: number } = {},
  ): void {
    this.#faults.push({
      functionId,
      name,
      afterInvoking: options.afterInvoking ?? false,
      remaining: options.times ?? 1,
    });
  }

  async invoke(functionId: string, event: unknown): Promise<unknown> {
    this.calls.push(functionId);
    const fault = this.#faults.find((f) => f.functionId === functionId && f.remaining > 0);
    if (fault) fault.remaining--;
    const failure = () =>
      Object.assign(new Error(`${fault?.name} injected by the test`), { name: fault?.name });
    if (fault && !fault.afterInvoking) throw failure();
    const result = await this.#inner.invoke(functionId, event);
    if (fault) throw failure();
    return result;
  }

  count(functionId: string): number {
    return this.calls.filter((id) => id === functionId).length;
  }
}
