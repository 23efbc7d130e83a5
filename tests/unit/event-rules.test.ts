/**
 * template.yaml's EventBridge rules as the local bus reads them: every pattern is one the bus can
 * run, and every targeted function keeps the events its handler fails on (a rule's DeadLetterConfig
 * only sees events EventBridge could not hand to Lambda; handler errors go to the function's own
 * DeadLetterQueue or on-failure destination, or nowhere).
 */
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { unguardedTargets } from '../../local/event-bus.ts';
import { checkPattern } from '../../local/event-pattern.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';

const template = new LocalTemplate(REPO_ROOT);
const overlay = new LocalTemplate(REPO_ROOT, {
  overlay: join(REPO_ROOT, 'tests/fixtures/event-bus/template-overlay.yaml'),
});

describe("template.yaml's EventBridge rules", () => {
  it('have patterns the local bus can match', () => {
    for (const rule of template.eventRules()) expect(() => checkPattern(rule.pattern)).not.toThrow();
  });

  it("target only functions that send their handler's failures to a queue", () => {
    expect(unguardedTargets(template.eventRules(), (id) => template.asyncConfig(id))).toEqual([]);
  });
});

describe('reading the rules', () => {
  it("takes each rule's pattern, retry policy and dead-letter queue from the SAM event", () => {
    const rule = overlay.eventRules().find((r) => r.id === 'ProbeFunctionSmsDeliveryFailed');
    expect(rule).toEqual({
      id: 'ProbeFunctionSmsDeliveryFailed',
      arn: 'arn:aws:events:us-east-1:000000000000:rule/ProbeFunctionSmsDeliveryFailed',
      functionId: 'ProbeFunction',
      pattern: { source: ['authkit'], 'detail-type': ['SmsDeliveryFailed'], detail: { permanent: [true] } },
      retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeInSeconds: 3600 },
      deadLetterArn: 'arn:aws:sqs:us-east-1:000000000000:ProbeDeadLetterQueue',
    });
  });

  it("defaults to EventBridge's retry policy and Lambda's two retries", () => {
    const rule = overlay.eventRules().find((r) => r.id === 'FailingDestinationProbeFunctionFailing');
    expect(rule?.retryPolicy).toEqual({ maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 });
    expect(overlay.asyncConfig('FailingProbeFunction')).toEqual({
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 21600,
      onFailure: {
        kind: 'dead-letter-queue',
        arn: 'arn:aws:sqs:us-east-1:000000000000:ProbeDeadLetterQueue',
      },
    });
    expect(overlay.asyncConfig('FailingDestinationProbeFunction').onFailure).toEqual({
      kind: 'destination',
      arn: 'arn:aws:sqs:us-east-1:000000000000:ProbeDeadLetterQueue',
    });
  });

  it('names a targeted function that would drop the events its handler fails on', () => {
    const withoutQueue = (id: string) => ({
      ...overlay.asyncConfig(id),
      onFailure: id === 'ProbeFunction' ? undefined : overlay.asyncConfig(id).onFailure,
    });
    expect(unguardedTargets(overlay.eventRules(), (id) => overlay.asyncConfig(id))).toEqual([]);
    expect(unguardedTargets(overlay.eventRules(), withoutQueue)).toEqual(['ProbeFunction']);
  });
});
