/**
 * A refusal is counted as the metric `Refused` with the rule as its one extra dimension, emitted on
 * its own (EMF on stdout) so the function's other metrics keep their dimensions.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { awsRoot } from '../../functions/_shared/root.ts';

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
  const saved = { ...process.env };
  let written: string[];

  beforeEach(() => {
    written = [];
    Object.assign(process.env, {
      POWERTOOLS_METRICS_NAMESPACE: 'AuthKit',
      POWERTOOLS_SERVICE_NAME: 'authkit',
    });
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    delete process.env.POWERTOOLS_DEV;
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = saved;
  });

  it('as Refused, under its rule', async () => {
    // Prepare
    const { refusals } = await awsRoot(ENV).start();

    // Act
    refusals.count('denylist');

    // Assess
    const emf = written.map((line) => JSON.parse(line) as Record<string, unknown>);
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
