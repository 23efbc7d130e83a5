import {
  type AuthKitError,
  chooseChannel,
  generateId,
  InvalidRequest,
  normalizeIdentifier,
  requireVariable,
  ServiceUnavailable,
  systemRandom,
  workflowErrors,
} from '@authkit/core';
import {
  StartSyncExecutionCommand,
  type StartSyncExecutionCommandOutput,
} from '@authkit/core/adapters/step-functions';
import { trustedAsn } from '../_shared/asn.ts';
import { httpHandler } from '../_shared/handler.ts';
import type { HttpResult } from '../_shared/http.ts';
import { logger, metrics } from '../_shared/powertools.ts';
import { sfn } from '../_shared/sfn.ts';
import {
  onlyFields,
  optionalEnum,
  optionalLocale,
  optionalObject,
  optionalString,
  requiredString,
} from '../_shared/validate.ts';
import type { ChallengeWorkflowInput } from '../_shared/workflow.ts';

/** Wiring, given to start alone: the workflow it runs. */
const stateMachineArn = requireVariable(process.env, 'STATE_MACHINE_ARN');

const FIELDS = [
  'identifier',
  'channel',
  'method',
  'captchaToken',
  'locale',
  'redirectUri',
  'device',
] as const;

/** POST /v1/auth/start: validates, then runs one Express workflow execution for the new challenge. */
export const handler = httpHandler(async (request) => {
  const { body } = request;
  onlyFields(body, FIELDS);
  const identifier = normalizeIdentifier(requiredString(body, 'identifier', 320));
  const channel = chooseChannel(identifier, optionalEnum(body, 'channel', ['email', 'sms', 'whatsapp']));
  if (channel === 'whatsapp')
    throw new InvalidRequest('channel', 'whatsapp is not enabled on this deployment');
  if (optionalEnum(body, 'method', ['otp', 'magic_link']) === 'magic_link') {
    throw new InvalidRequest('method', 'magic_link is not enabled on this deployment');
  }
  const locale = optionalLocale(body);
  optionalString(body, 'redirectUri', 2048);
  optionalObject(body, 'device');

  const input: ChallengeWorkflowInput = {
    challengeId: generateId(systemRandom, 'ch'),
    identifier: identifier.value,
    channel,
    sourceIp: request.sourceIp,
    asn: await trustedAsn(request),
    captchaToken: optionalString(body, 'captchaToken', 4096),
    locale,
  };
  const execution = await sfn.send(
    new StartSyncExecutionCommand({
      stateMachineArn,
      name: input.challengeId,
      input: JSON.stringify(input),
    }),
  );
  return outcomeOf(execution);
});

/** A failed execution still answers 200 to StartSyncExecution: the status decides. */
function outcomeOf(execution: StartSyncExecutionCommandOutput): HttpResult {
  metrics.addMetric(`Workflow${execution.status ?? 'Unknown'}`, 'Count', 1);
  if (execution.status === 'SUCCEEDED' && execution.output) {
    return { status: 202, body: JSON.parse(execution.output) };
  }
  const known = execution.error ? workflowErrors[execution.error] : undefined;
  if (known) throw known(execution.cause ?? '') satisfies AuthKitError;
  logger.error('challenge workflow ended unexpectedly', { status: execution.status, error: execution.error });
  // Timeouts and Lambda service errors that outlasted their retries are AWS being unavailable, not
  // a bug: the client may retry. Anything else (a step crashed) is ours and stays a 500.
  if (execution.status === 'TIMED_OUT' || /^(States\.Timeout|Lambda\.)/.test(execution.error ?? '')) {
    throw new ServiceUnavailable('The sign-in could not be completed right now; try again shortly.');
  }
  throw new Error(`challenge workflow ${execution.status}: ${execution.error}`);
}
