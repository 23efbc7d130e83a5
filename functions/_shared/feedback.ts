/**
 * The feedback functions' one shape: read the event, write what it earns to the denylist, count
 * the outcome. Nothing of an address reaches the logs: only the event id and the counts.
 */
import { type Clock, type Config, type DenylistStore, recordFeedback } from '@authkit/core';
import { type EventHandler, eventHandler } from './handler.ts';
import type { Observability } from './powertools.ts';

export type FeedbackDeps = {
  observability: Observability;
  denylist: DenylistStore;
  settings: Config['feedback'];
  clock: Clock;
};

export function feedbackHandler(deps: FeedbackDeps, channel: 'email' | 'sms'): EventHandler<unknown> {
  const { logger, metrics } = deps.observability;
  return eventHandler(deps.observability, async (event) => {
    const outcome = await recordFeedback(
      { denylist: deps.denylist, settings: deps.settings, now: () => deps.clock.now() },
      channel,
      event,
    );
    logger.info('feedback recorded', { eventId: (event as { id?: unknown }).id, ...outcome });
    if (outcome.reason === undefined) {
      count(metrics, 'FeedbackIgnored', 'why', outcome.ignored ?? 'unknown', 1);
      return;
    }
    count(metrics, 'FeedbackDenylisted', 'reason', outcome.reason, outcome.denied);
    count(metrics, 'FeedbackIgnored', 'why', 'duplicate', outcome.duplicate);
    count(metrics, 'FeedbackIgnored', 'why', 'outranked', outcome.outranked);
    count(metrics, 'FeedbackIgnored', 'why', 'unreadable-address', outcome.unreadable);
  });
}

/** A single metric, so its dimension does not spill onto the invocation's other metrics. */
function count(metrics: Observability['metrics'], name: string, dimension: string, value: string, n: number) {
  if (n === 0) return;
  const single = metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, 'Count', n);
}
