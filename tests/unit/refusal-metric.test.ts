/**
 * A refusal is counted as the metric `Refused` with the rule as its one extra dimension, emitted on
 * its own (EMF on stdout) so the function's other metrics keep their dimensions.
 */

import { describe, expect, it } from '@jest/globals';
import { awsRoot } from '../../functions/_shared/root.ts';
import { capturePowertoolsOutput } from '../support/powertools-output.ts';

const ENV = {
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:ChallengeStateMachine',
  TRUSTED_ASN_HEADER: '',
  PROXY_SECRET_ID: '',
  AUDIT_TABLE: 'AuditTable',
  AUDIT_RETENTION_DAYS: '365',
  AUDIT_KEY_SECRET_ID: 'AuditKeySecret',
  AWS_REGION: 'us-east-1',
};

describe('the start function counts a refusal', () => {
  const output = capturePowertoolsOutput();

  it('as Refused, under its rule', async () => {
    // Prepare
    const { refusals } = await awsRoot(ENV).start();

    // Act
    refusals.count('denylist');

    // Assess
    const emf = output.lines();
    expect(emf).toContainEqual(
      expect.objectContaining({
        rule: 'denylist',
        Refused: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            expect.objectContaining({ Namespace: 'AuthKit', Dimensions: [['service', 'rule']] }),
          ],
        }),
      }),
    );
  });
});
