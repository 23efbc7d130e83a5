import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CounterHit, CounterStore } from '../../ports.ts';
import { ifConditionHolds, ttlFor } from './conditional.ts';

/**
 * Fixed-window counters: one item per key and window, each named counter a top-level number.
 * One UpdateItem adds to all of them if every one is below its limit.
 */
export class DynamoCounterStore implements CounterStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async hit(
    key: string,
    counters: { name: string; limit: number }[],
    windowSeconds: number,
    now: number,
  ): Promise<CounterHit> {
    const windowMs = windowSeconds * 1000;
    const windowStart = now - (now % windowMs);
    const windowEnd = windowStart + windowMs;
    const names: Record<string, string> = { '#ttl': 'ttl' };
    const values: Record<string, number> = { ':one': 1, ':ttl': ttlFor(windowEnd) };
    counters.forEach(({ name, limit }, i) => {
      names[`#c${i}`] = name;
      values[`:l${i}`] = limit;
    });
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: `${key}#${windowStart}` },
          UpdateExpression: `ADD ${counters.map((_, i) => `#c${i} :one`).join(', ')} SET #ttl = :ttl`,
          ConditionExpression: counters
            .map((_, i) => `(attribute_not_exists(#c${i}) OR #c${i} < :l${i})`)
            .join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    if (!result.ok) return { allowed: false, retryAfterMs: windowEnd - now };
    const updated = result.value.Attributes ?? {};
    return {
      allowed: true,
      retryAfterMs: 0,
      counts: Object.fromEntries(counters.map(({ name }) => [name, Number(updated[name] ?? 0)])),
    };
  }
}
