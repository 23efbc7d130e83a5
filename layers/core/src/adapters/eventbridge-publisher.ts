/** `@authkit/core/adapters/events`: AuthKit's own events, published to the default bus. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AppEvent, EventPublisher } from '../ports.ts';

export { EventBridgeClient };

/** Every AuthKit event has this source; template.yaml's rules and apps match on it. */
export const APP_EVENT_SOURCE = 'authkit';

/**
 * PutEvents answers 200 even when it refused some entries: each refused entry carries an ErrorCode
 * and the response a FailedEntryCount. Any refusal throws, naming the codes, so the caller (a retried
 * workflow step, a metric) sees it.
 */
export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;

  constructor(client: EventBridgeClient) {
    this.#client = client;
  }

  async publish(events: AppEvent[]): Promise<void> {
    if (events.length === 0) return;
    const { FailedEntryCount, Entries } = await this.#client.send(
      new PutEventsCommand({
        Entries: events.map((event) => ({
          Source: APP_EVENT_SOURCE,
          DetailType: event.detailType,
          Detail: JSON.stringify(event.detail),
        })),
      }),
    );
    if (FailedEntryCount) {
      const codes = (Entries ?? []).flatMap((entry) => (entry.ErrorCode ? [entry.ErrorCode] : []));
      throw new Error(`EventBridge refused ${FailedEntryCount} event(s): ${[...new Set(codes)].join(', ')}`);
    }
  }
}
