/**
 * The Step Functions endpoint of the local runtime: StartSyncExecution runs the real ASL from
 * statemachines/ with aws-local-stepfunctions, each Lambda Task calling the same step handler the
 * cloud would invoke, and answers in the service's own JSON shape.
 */
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { type LocalLambda, lambdaErrorPayload } from './lambda.ts';

/** What runs a Task: the local Lambda, or a test's wrapper around it (to inject faults). */
export type TaskInvoker = Pick<LocalLambda, 'invoke'>;

import type { LocalStateMachine } from './template.ts';

type TaskState = { Type: string; Resource?: string };
type TaskHandler = (input: unknown) => Promise<unknown>;

/** An error as the Step Functions Lambda integration surfaces it: name = errorType, cause = the JSON payload. */
class LambdaTaskError extends Error {
  constructor(error: unknown) {
    const payload = lambdaErrorPayload(error);
    super(JSON.stringify(payload));
    this.name = payload.errorType;
  }
}

export class LocalStepFunctions {
  readonly #machines = new Map<string, { machine: StateMachine; handlers: Record<string, TaskHandler> }>();

  constructor(stateMachines: LocalStateMachine[], lambda: TaskInvoker) {
    for (const sm of stateMachines) {
      this.#machines.set(sm.arn, {
        machine: new StateMachine(sm.definition as never, {
          validationOptions: { checkArn: false, checkPaths: true },
        }),
        handlers: taskHandlers(sm, lambda),
      });
    }
  }

  /** The body of a StartSyncExecution response. */
  async startSyncExecution(request: {
    stateMachineArn?: string;
    input?: string;
    name?: string;
  }): Promise<Record<string, unknown>> {
    const entry = request.stateMachineArn ? this.#machines.get(request.stateMachineArn) : undefined;
    if (!entry)
      throw Object.assign(new Error('State machine does not exist'), { code: 'StateMachineDoesNotExist' });
    const name = request.name ?? randomUUID();
    const startDate = Date.now() / 1000;
    const base = {
      executionArn: `${request.stateMachineArn?.replace(':stateMachine:', ':express:')}:${name}:${randomUUID()}`,
      stateMachineArn: request.stateMachineArn,
      name,
      startDate,
    };
    try {
      const execution = entry.machine.run(JSON.parse(request.input ?? '{}'), {
        overrides: { taskResourceLocalHandlers: entry.handlers as never },
      });
      const output = await execution.result;
      return { ...base, stopDate: Date.now() / 1000, status: 'SUCCEEDED', output: JSON.stringify(output) };
    } catch (error) {
      // The runner wraps the execution's own failure (a Fail state, an uncaught task error).
      const err = ((error as Error).name === 'ExecutionError' ? (error as Error).cause : error) as Error;
      const timedOut = err.name === 'ExecutionTimeoutError';
      return {
        ...base,
        stopDate: Date.now() / 1000,
        status: timedOut ? 'TIMED_OUT' : 'FAILED',
        error: timedOut ? 'States.Timeout' : err.name,
        cause: err.message,
      };
    }
  }
}

/**
 * Each Task state gets a local handler calling its function, with what a plain function ARN as
 * `Resource` hands on: the function's result itself. (The optimised `lambda:invoke` integration,
 * which wraps it, and Parallel or Map branches are not used by any state machine here; a Task this
 * does not know fails loudly.)
 */
function taskHandlers(sm: LocalStateMachine, lambda: TaskInvoker): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, state] of Object.entries(sm.definition.States as Record<string, TaskState>)) {
    if (state.Type !== 'Task') continue;
    const functionId = state.Resource ? sm.taskFunctions[state.Resource] : undefined;
    if (!functionId) throw new Error(`${sm.id}.${name}: Resource is not a function of template.yaml`);
    handlers[name] = (input) => invokeTask(lambda, functionId, input);
  }
  return handlers;
}

async function invokeTask(lambda: TaskInvoker, functionId: string, input: unknown): Promise<unknown> {
  try {
    // JSON both ways, as over the wire: the handler and the runner never share objects.
    const wire = (value: unknown) => JSON.parse(JSON.stringify(value ?? null));
    return wire(await lambda.invoke(functionId, wire(input)));
  } catch (error) {
    throw new LambdaTaskError(error);
  }
}
