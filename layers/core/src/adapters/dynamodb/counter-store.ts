import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Budget, BudgetSpend, CounterStore } from '../../ports.ts';
import { windowOf } from '../../rate-limits.ts';
import { ttlFor } from './conditional.ts';

/**
 * Fixed-window budgets: one item per budget and window (`<key>#<windowStart>`), each named counter
 * a top-level number. Budgets are spent only inside the transaction that claims a send
 * (`budgetUpdates`); this store only reads them.
 */
export class DynamoCounterStore implements CounterStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async peek(budgets: Budget[], windowSeconds: number, now: number): Promise<Record<string, number>[]> {
    const { windowStart } = windowOf(windowSeconds, now);
    const keys = budgets.map((budget) => ({ pk: `${budget.key}#${windowStart}` }));
    const { Responses, UnprocessedKeys } = await this.#db.send(
      new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: keys, ConsistentRead: true } } }),
    );
    // A handful of small items never exceeds BatchGetItem's limits; unread keys would mean throttling.
    if (UnprocessedKeys?.[this.#table]) throw new Error('DynamoDB left budget items unread');
    const items = new Map((Responses?.[this.#table] ?? []).map((item) => [item.pk as string, item]));
    return budgets.map((budget, i) => {
      const item = items.get(keys[i]?.pk ?? '') ?? {};
      return Object.fromEntries(budget.counters.map(({ name }) => [name, Number(item[name] ?? 0)]));
    });
  }
}

/** Transaction items that add one to every counter of every budget if each is below its limit. */
export function budgetUpdates(table: string, spend: BudgetSpend) {
  const { windowStart, windowEnd } = windowOf(spend.windowSeconds, spend.now);
  return spend.budgets.map(({ key, counters }) => {
    const names: Record<string, string> = { '#ttl': 'ttl' };
    const values: Record<string, number> = { ':one': 1, ':ttl': ttlFor(windowEnd) };
    counters.forEach(({ name, limit }, i) => {
      names[`#c${i}`] = name;
      values[`:l${i}`] = limit;
    });
    return {
      Update: {
        TableName: table,
        Key: { pk: `${key}#${windowStart}` },
        UpdateExpression: `ADD ${counters.map((_, i) => `#c${i} :one`).join(', ')} SET #ttl = :ttl`,
        ConditionExpression: counters
          .map((_, i) => `(attribute_not_exists(#c${i}) OR #c${i} < :l${i})`)
          .join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  });
}
