import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { LockSpend, LockState, LockStore } from '../../ports.ts';
import { ifConditionHolds, ttlFor } from './conditional.ts';

/** Wrong codes are forgotten this long after the last attempt, longer than any block lasts. */
const MEMORY_MS = 60 * 86_400_000;

/**
 * Lockout locks, items `lock#…` in the counters table. Attempts are spent only inside the
 * transaction that counts a challenge attempt (`lockSpendUpdate`); this store reads, reopens and
 * clears them.
 */
export class DynamoLockStore implements LockStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async read(keys: string[]): Promise<(LockState | undefined)[]> {
    const { Responses, UnprocessedKeys } = await this.#db.send(
      new BatchGetCommand({
        RequestItems: { [this.#table]: { Keys: keys.map((pk) => ({ pk })), ConsistentRead: true } },
      }),
    );
    if (UnprocessedKeys?.[this.#table]) throw new Error('DynamoDB left lock items unread');
    const items = new Map((Responses?.[this.#table] ?? []).map((item) => [item.pk as string, item]));
    return keys.map((key) => {
      const item = items.get(key);
      return item ? lockState(item) : undefined;
    });
  }

  async reopen(key: string, seen: LockState, more: number): Promise<void> {
    // Conditional on the state the caller judged, so parallel callers reopen one cycle, not several.
    await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: key },
          UpdateExpression: 'SET allowance = :allowance ADD #cycle :one',
          ConditionExpression: 'used = :used AND #cycle = :cycle AND lastAttemptAt = :last',
          ExpressionAttributeNames: { '#cycle': 'cycle' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':allowance': seen.used + more,
            ':used': seen.used,
            ':cycle': seen.cycle,
            ':last': seen.lastAttemptAt,
          },
        }),
      ),
    );
  }

  async clear(keys: string[]): Promise<void> {
    await Promise.all(
      keys.map((pk) => this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { pk } }))),
    );
  }

  async mark(key: string, until: number): Promise<void> {
    await this.#db.send(
      new PutCommand({ TableName: this.#table, Item: { pk: key, until, ttl: ttlFor(until) } }),
    );
  }

  async claimNotice(key: string, until: number, now: number): Promise<boolean> {
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: key, noticeUntil: until, ttl: ttlFor(until) },
          ConditionExpression: 'attribute_not_exists(pk) OR noticeUntil <= :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
    return result.ok;
  }
}

/** A transaction item that spends one attempt from the lock if it has one left. */
export function lockSpendUpdate(table: string, spend: LockSpend, now: number) {
  const names: Record<string, string> = { '#cycle': 'cycle', '#ttl': 'ttl' };
  const values: Record<string, unknown> = {
    ':allowance': spend.allowance,
    ':zero': 0,
    ':one': 1,
    ':now': now,
    ':ttl': ttlFor(now + MEMORY_MS),
  };
  let update =
    'SET allowance = if_not_exists(allowance, :allowance), #cycle = if_not_exists(#cycle, :zero), ' +
    'lastAttemptAt = :now, #ttl = :ttl ADD used :one';
  let condition: string | undefined = spend.countOnly
    ? undefined
    : 'attribute_not_exists(used) OR used < allowance';
  if (spend.network !== undefined && condition) {
    update += ', nets :network';
    values[':network'] = new Set([spend.network]);
    values[':two'] = 2;
    values[':ceiling'] = spend.ceiling ?? spend.allowance;
    // Until two networks have spent from it, their own locks hold them, not this one (to the ceiling).
    condition += ' OR ((attribute_not_exists(nets) OR size(nets) < :two) AND used < :ceiling)';
  }
  return {
    Update: {
      TableName: table,
      Key: { pk: spend.key },
      UpdateExpression: update,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ...(condition
        ? { ConditionExpression: condition, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const }
        : {}),
    },
  };
}

export function lockState(item: Record<string, unknown>): LockState {
  return {
    used: Number(item.used ?? 0),
    allowance: Number(item.allowance ?? 0),
    networks: item.nets instanceof Set ? [...item.nets].map(String) : [],
    cycle: Number(item.cycle ?? 0),
    lastAttemptAt: Number(item.lastAttemptAt ?? 0),
    ...(typeof item.until === 'number' ? { until: item.until } : {}),
  };
}
