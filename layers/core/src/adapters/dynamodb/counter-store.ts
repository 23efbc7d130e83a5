import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CounterHit, CounterStore } from '../../ports.ts';
import { ifConditionHolds, ttlFor } from './conditional.ts';

/** Fixed-window counters: one item per key and window, counted by a conditional ADD. */
export class DynamoCounterStore implements CounterStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async hit(key: string, limit: number, windowSeconds: number, now: number): Promise<CounterHit> {
    const windowMs = windowSeconds * 1000;
    const windowStart = now - (now % windowMs);
    const windowEnd = windowStart + windowMs;
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: `${key}#${windowStart}` },
          UpdateExpression: 'ADD hits :one SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': ttlFor(windowEnd) },
        }),
      ),
    );
    return { allowed: result.ok, retryAfterMs: result.ok ? 0 : windowEnd - now };
  }
}
