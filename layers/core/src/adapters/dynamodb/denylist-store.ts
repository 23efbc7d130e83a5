import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock, DenylistStore } from '../../ports.ts';
import { ttlFor } from './conditional.ts';

const MAX_ROUNDS = 3;

/**
 * Denied identifiers and domains, keyed like `email#a@b.com` or `domain#b.com`. An entry with an
 * `expiresAt` (epoch ms) is a temporary block; TTL may lag days, so the clock decides. One strongly
 * consistent BatchGetItem for all keys; keys DynamoDB leaves unprocessed are asked again, and if
 * any stay unanswered the check fails rather than passing a key it never read.
 */
export class DynamoDenylistStore implements DenylistStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(db: DynamoDBDocumentClient, table: string, clock: Clock) {
    this.#db = db;
    this.#table = table;
    this.#clock = clock;
  }

  async findDenied(keys: string[]): Promise<string | undefined> {
    const found: Record<string, unknown>[] = [];
    let pending = [...new Set(keys)].map((pk) => ({ pk }));
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_ROUNDS)
        throw new Error(`DynamoDB left ${pending.length} denylist key(s) unprocessed`);
      const { Responses, UnprocessedKeys } = await this.#db.send(
        new BatchGetCommand({
          RequestItems: {
            [this.#table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'pk, expiresAt' },
          },
        }),
      );
      found.push(...(Responses?.[this.#table] ?? []));
      pending = (UnprocessedKeys?.[this.#table]?.Keys ?? []) as { pk: string }[];
    }
    const now = this.#clock.now();
    const denied = new Set(
      found
        .filter((item) => typeof item.expiresAt !== 'number' || item.expiresAt > now)
        .map((item) => item.pk),
    );
    return keys.find((key) => denied.has(key));
  }

  async deny(key: string, reason: string, now: number, expiresAt?: number): Promise<void> {
    const until = expiresAt === undefined ? {} : { expiresAt, ttl: ttlFor(expiresAt) };
    await this.#db.send(
      new PutCommand({ TableName: this.#table, Item: { pk: key, reason, deniedAt: now, ...until } }),
    );
  }

  async allow(key: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { pk: key } }));
  }
}
