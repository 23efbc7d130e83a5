/**
 * A code pepper too short to key an HMAC (a bad rotation) stops SendChallenge before anything is
 * stored or sent, with an error that names the secret.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { secretArn } from '../../local/template.ts';
import { challengeWorkflow, emailsTo, uniqueEmail, useTemplateEnvironment } from '../support/stack.ts';
import { execute, workflowInput } from '../support/workflow.ts';

let workflow: ReturnType<typeof challengeWorkflow>;

beforeAll(async () => {
  const template = await useTemplateEnvironment({}, { CodePepperSecret: 'p'.repeat(31) });
  workflow = challengeWorkflow(template);
});

describe('SendChallenge with a 31-character code pepper', () => {
  it('fails naming the secret, and sends nothing', async () => {
    // Prepare
    const email = uniqueEmail('shortpepper');

    // Act
    const execution = await execute(workflow, workflowInput(email));

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'SecretMaterialError' });
    expect(execution.cause).toContain(secretArn('CodePepperSecret'));
    expect(await emailsTo(email)).toHaveLength(0);
  });
});
