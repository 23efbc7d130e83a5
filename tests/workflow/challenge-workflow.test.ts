/**
 * The real statemachines/challenge.asl.json, executed with the real step handlers against DynamoDB
 * Local and SES local: the happy path and each failure branch the API maps to a status code.
 */

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { fromWorkflowFailure, type RateLimited } from '../../layers/core/src/errors.ts';
import { TABLES } from '../support/core-fixtures.ts';
import {
  challengeWorkflow,
  documentClient,
  emailsTo,
  uniqueEmail,
  useTemplateEnvironment,
} from '../support/stack.ts';
import { execute, RecordingInvoker, workflowInput } from '../support/workflow.ts';

const PER_IDENTIFIER = 3;
let invoker: RecordingInvoker;
let workflow: ReturnType<typeof challengeWorkflow>;

beforeAll(async () => {
  const template = await useTemplateEnvironment({ RateLimitPerIdentifier: String(PER_IDENTIFIER) });
  workflow = challengeWorkflow(template, (inner) => {
    invoker = new RecordingInvoker(inner);
    return invoker;
  });
});

afterEach(() => {
  invoker.calls.length = 0;
});

describe('the challenge workflow', () => {
  it('screens, sends one email and returns the challenge view', async () => {
    const email = uniqueEmail('flow');
    const input = workflowInput(email);
    const execution = await execute(workflow, input);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      challengeId: input.challengeId,
      channel: 'email',
      method: 'otp',
      codeLength: 6,
      destination: expect.stringMatching(/^f\*\*\*@e\*+\.com$/),
    });
    expect(invoker.calls).toEqual([
      'CheckRateLimitFunction',
      'CheckDenylistFunction',
      'VerifyCaptchaFunction',
      'SendChallengeFunction',
    ]);
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it('ends in RateLimited with a retry delay once the identifier is over its budget', async () => {
    const email = uniqueEmail('limited');
    for (let i = 0; i < PER_IDENTIFIER; i++)
      expect((await execute(workflow, workflowInput(email))).status).toBe('SUCCEEDED');
    const execution = await execute(workflow, workflowInput(email));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'RateLimited' });
    const error = fromWorkflowFailure('RateLimited', execution.cause) as RateLimited;
    expect(error.rule).toBe('budget');
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(3600);
    expect(invoker.count('SendChallengeFunction')).toBe(PER_IDENTIFIER);
  });

  it('sends exactly the budget of 10 parallel starts that all passed CheckRateLimit, and ends the rest in RateLimited', async () => {
    const email = uniqueEmail('parallel');
    const executions = await Promise.all(
      Array.from({ length: 10 }, () => execute(workflow, workflowInput(email))),
    );
    expect(executions.filter((execution) => execution.status === 'SUCCEEDED')).toHaveLength(PER_IDENTIFIER);
    const refused = executions.filter((execution) => execution.status === 'FAILED');
    expect(new Set(refused.map((execution) => execution.error))).toEqual(new Set(['RateLimited']));
    expect(await emailsTo(email)).toHaveLength(PER_IDENTIFIER);
  });

  it.each([
    ['a disposable address', () => `someone.${Date.now()}@mailinator.com`],
    ['a denylisted address', () => uniqueEmail('denied')],
  ])('ends in IdentifierRejected for %s, without retrying or sending', async (label, makeEmail) => {
    const email = makeEmail();
    if (label === 'a denylisted address') {
      await documentClient().send(
        new PutCommand({ TableName: TABLES.denylist, Item: { pk: `email#${email}` } }),
      );
    }
    const execution = await execute(workflow, workflowInput(email));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'IdentifierRejected' });
    expect(invoker.count('CheckDenylistFunction')).toBe(1);
    expect(invoker.count('SendChallengeFunction')).toBe(0);
  });

  it('retries a step after a transient Lambda service error', async () => {
    invoker.failNext('CheckRateLimitFunction', 'Lambda.TooManyRequestsException');
    const execution = await execute(workflow, workflowInput(uniqueEmail('throttled')));
    expect(execution.status).toBe('SUCCEEDED');
    expect(invoker.count('CheckRateLimitFunction')).toBe(2);
  });

  it('does not send twice when the send step ran but its answer was lost and Step Functions retried it', async () => {
    const email = uniqueEmail('retried');
    invoker.failNext('SendChallengeFunction', 'Lambda.ServiceException', { afterInvoking: true });
    const execution = await execute(workflow, workflowInput(email));
    expect(execution.status).toBe('SUCCEEDED');
    expect(invoker.count('SendChallengeFunction')).toBe(2);
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it('fails with the Lambda error name when a step keeps failing for a reason it does not retry', async () => {
    invoker.failNext('CheckDenylistFunction', 'Lambda.ServiceException', { times: 3 });
    const execution = await execute(workflow, workflowInput(uniqueEmail('down')));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Lambda.ServiceException' });
    expect(invoker.count('CheckDenylistFunction')).toBe(3);
  });
});
