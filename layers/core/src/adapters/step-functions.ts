/**
 * `@authkit/core/adapters/step-functions`: the challenge workflow as an Express state machine, run
 * synchronously. A failed execution still answers 200 to StartSyncExecution: its status decides.
 */
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import type { ChallengeView } from '../challenge.ts';
import { fromWorkflowFailure, ServiceUnavailable } from '../errors.ts';
import type { ChallengeWorkflow, ChallengeWorkflowInput } from '../workflow.ts';

export { SFNClient };

export class ExpressChallengeWorkflow implements ChallengeWorkflow {
  readonly #sfn: Pick<SFNClient, 'send'>;
  readonly #stateMachineArn: string;
  readonly #observe: (status: string) => void;

  /** `observe` hears each execution's status (SUCCEEDED, FAILED, TIMED_OUT), e.g. for a metric. */
  constructor(
    sfn: Pick<SFNClient, 'send'>,
    stateMachineArn: string,
    observe: (status: string) => void = () => {},
  ) {
    this.#sfn = sfn;
    this.#stateMachineArn = stateMachineArn;
    this.#observe = observe;
  }

  async run(input: ChallengeWorkflowInput): Promise<ChallengeView> {
    const execution = await this.#sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn: this.#stateMachineArn,
        name: `${input.challengeId}-${input.sendNumber}`,
        input: JSON.stringify(input),
      }),
    );
    this.#observe(execution.status ?? 'Unknown');
    if (execution.status === 'SUCCEEDED' && execution.output)
      return JSON.parse(execution.output) as ChallengeView;
    const refusal = fromWorkflowFailure(execution.error ?? '', execution.cause);
    if (refusal) throw refusal;
    // Timeouts and Lambda service errors that outlasted their retries are AWS being unavailable, not
    // a bug: the client may retry. Anything else (a step crashed) is ours and stays a 500.
    if (execution.status === 'TIMED_OUT' || /^(States\.Timeout|Lambda\.)/.test(execution.error ?? '')) {
      throw new ServiceUnavailable(`challenge workflow ${execution.status}: ${execution.error}`);
    }
    throw new Error(`challenge workflow ${execution.status}: ${execution.error}`);
  }
}
