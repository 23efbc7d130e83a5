/** SendChallenge when the email provider cannot be reached: retried, then DeliveryFailed. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../local/ports.ts';
import { challengeWorkflow, uniqueEmail, useTemplateEnvironment } from '../support/stack.ts';
import { execute, RecordingInvoker, workflowInput } from '../support/workflow.ts';

let invoker: RecordingInvoker;
let workflow: ReturnType<typeof challengeWorkflow>;

beforeAll(async () => {
  const template = await useTemplateEnvironment();
  // Nothing listens on a port that was just free: SES answers with a connection error.
  process.env.AWS_ENDPOINT_URL_SESV2 = `http://127.0.0.1:${await freePort()}`;
  workflow = challengeWorkflow(template, (inner) => {
    invoker = new RecordingInvoker(inner);
    return invoker;
  });
});

describe('SendChallenge with SES unreachable', () => {
  it('retries twice, then ends in DeliveryFailed', async () => {
    const execution = await execute(workflow, workflowInput(uniqueEmail('unreachable')));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'DeliveryFailed' });
    expect(invoker.count('SendChallengeFunction')).toBe(3);
  });
});
