/**
 * The default event bus, locally: template.yaml's EventBridgeRule events route each event to their
 * functions, invoked as EventBridge invokes Lambda — asynchronously, with the full event envelope.
 *
 * Where failures go follows AWS. EventBridge's own RetryPolicy and DeadLetterConfig cover handing
 * the event to Lambda (throttled or unauthorised invokes, a deleted function), which cannot fail in
 * one process. Once Lambda has accepted the event, a handler's error is retried by Lambda's
 * asynchronous invocation (EventInvokeConfig.MaximumRetryAttempts, 2 by default) and then goes to
 * the function's on-failure destination or DeadLetterQueue, or is dropped if it has neither. So is
 * it here, with the same attempt counts and millisecond backoff instead of Lambda's minutes.
 */
import { randomUUID } from 'node:crypto';
import { checkPattern, matchesPattern } from './event-pattern.ts';
import { lambdaErrorPayload } from './lambda.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalAsyncConfig, type LocalEventRule } from './template.ts';

/** An event as EventBridge hands it to a target. */
export type BusEvent = {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
};

/** A message in a local SQS dead-letter queue: its body and message attributes as AWS writes them. */
export type DeadLetter = {
  queueArn: string;
  messageId: string;
  sentAt: string;
  /** `destination`: Lambda's invocation record; `dead-letter-queue`: the event itself. */
  kind: 'destination' | 'dead-letter-queue';
  functionId: string;
  ruleId: string;
  body: unknown;
  attributes: Record<string, string>;
};

export type Delivery = {
  ruleId: string;
  functionId: string;
  eventId: string;
  attempts: number;
  outcome: 'succeeded' | 'dead-lettered' | 'dropped';
};

type Invoker = { invoke(functionId: string, event: unknown): Promise<unknown> };

/**
 * Functions that EventBridge rules target, yet that would lose an event their handler fails on:
 * a rule's DeadLetterConfig never sees handler errors, only the function's own DeadLetterQueue or
 * on-failure destination does.
 */
export function unguardedTargets(
  rules: LocalEventRule[],
  asyncConfig: (functionId: string) => LocalAsyncConfig,
): string[] {
  const functions = new Set(rules.map((rule) => rule.functionId));
  return [...functions].filter((functionId) => !asyncConfig(functionId).onFailure);
}

/** EventBridge's `time`: UTC to the second, no fraction. */
export const eventTime = (date = new Date()): string => `${date.toISOString().slice(0, 19)}Z`;

export function busEvent(fields: {
  source: string;
  detailType: string;
  detail: unknown;
  resources?: string[] | undefined;
  time?: Date | undefined;
}): BusEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': fields.detailType,
    source: fields.source,
    account: LOCAL_ACCOUNT,
    time: eventTime(fields.time),
    region: LOCAL_REGION,
    resources: fields.resources ?? [],
    detail: fields.detail,
  };
}

export class LocalEventBus {
  readonly #rules: LocalEventRule[];
  readonly #lambda: Invoker;
  readonly #asyncConfig: (functionId: string) => LocalAsyncConfig;
  readonly #retryDelayMs: number;
  readonly #pending = new Set<Promise<void>>();
  readonly #deadLetters: DeadLetter[] = [];
  readonly #deliveries: Delivery[] = [];
  readonly #published: BusEvent[] = [];

  constructor(
    rules: LocalEventRule[],
    lambda: Invoker,
    asyncConfig: (functionId: string) => LocalAsyncConfig,
    options: { retryDelayMs?: number } = {},
  ) {
    for (const rule of rules) {
      try {
        checkPattern(rule.pattern);
      } catch (error) {
        throw new Error(`template.yaml ${rule.id}: ${(error as Error).message}`);
      }
    }
    this.#rules = rules;
    this.#lambda = lambda;
    this.#asyncConfig = asyncConfig;
    this.#retryDelayMs = options.retryDelayMs ?? 20;
  }

  /** Routes the event to every matching rule's function, in the background, as EventBridge does. */
  publish(event: BusEvent): void {
    this.#published.push(event);
    for (const rule of this.#rules) {
      if (!matchesPattern(rule.pattern as Record<string, never>, event)) continue;
      const delivery = this.#deliver(rule, event).finally(() => this.#pending.delete(delivery));
      this.#pending.add(delivery);
    }
  }

  /** Resolves once every delivery under way, and any it set off, has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  deadLetters(): DeadLetter[] {
    return [...this.#deadLetters];
  }

  deliveries(): Delivery[] {
    return [...this.#deliveries];
  }

  /** Every event put on the bus, in order, whether or not a rule took it (apps' own events). */
  published(): BusEvent[] {
    return [...this.#published];
  }

  async #deliver(rule: LocalEventRule, event: BusEvent): Promise<void> {
    const config = this.#asyncConfig(rule.functionId);
    const requestId = randomUUID();
    const started = Date.now();
    let attempts = 0;
    let lastError: unknown;
    for (;;) {
      attempts++;
      try {
        await this.#lambda.invoke(rule.functionId, event);
        this.#deliveries.push({ ...this.#ids(rule, event), attempts, outcome: 'succeeded' });
        return;
      } catch (error) {
        lastError = error;
      }
      const tooOld = Date.now() - started >= config.maximumEventAgeInSeconds * 1000;
      if (attempts > config.maximumRetryAttempts || tooOld) break;
      await new Promise((resolve) => setTimeout(resolve, this.#retryDelayMs * attempts));
    }
    const failure = lambdaErrorPayload(lastError);
    if (!config.onFailure) {
      console.error(
        `local event bus: ${rule.functionId} failed ${attempts} time(s) on event ${event.id} (${failure.errorType}); it has no on-failure destination or DeadLetterQueue, so the event is dropped`,
      );
      this.#deliveries.push({ ...this.#ids(rule, event), attempts, outcome: 'dropped' });
      return;
    }
    const functionArn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${rule.functionId}`;
    const common = {
      queueArn: config.onFailure.arn,
      messageId: randomUUID(),
      sentAt: new Date().toISOString(),
      functionId: rule.functionId,
      ruleId: rule.id,
    };
    if (config.onFailure.kind === 'destination') {
      this.#deadLetters.push({
        ...common,
        kind: 'destination',
        // Lambda's invocation record for an on-failure destination.
        body: {
          version: '1.0',
          timestamp: new Date().toISOString(),
          requestContext: {
            requestId,
            functionArn: `${functionArn}:$LATEST`,
            condition: 'RetriesExhausted',
            approximateInvokeCount: attempts,
          },
          requestPayload: event,
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: failure,
        },
        attributes: {},
      });
    } else {
      this.#deadLetters.push({
        ...common,
        kind: 'dead-letter-queue',
        // A function's DeadLetterQueue gets the event itself, and these message attributes.
        body: event,
        attributes: { RequestID: requestId, ErrorCode: '200', ErrorMessage: failure.errorMessage },
      });
    }
    this.#deliveries.push({ ...this.#ids(rule, event), attempts, outcome: 'dead-lettered' });
  }

  #ids(rule: LocalEventRule, event: BusEvent) {
    return { ruleId: rule.id, functionId: rule.functionId, eventId: event.id };
  }
}
