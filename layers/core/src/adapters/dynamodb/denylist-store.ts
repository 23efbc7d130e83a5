import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock, DenylistEntry, DenylistStore } from '../../ports.ts';
import { ttlFor } from './conditional.ts';

const MAX_ROUNDS = 3;

/**
 * Denied identifiers and domains, keyed like `email#a@b.com` or `domain#b.com`. An entry with an
 * `expiresAt` (epoch ms) is a temporary block. A check is one strongly consistent BatchGetItem for
 * all keys; keys DynamoDB leaves unprocessed are asked again, and if any stay unanswered the check
 * fails rather than passing a key it never read. Listing scans: the table is the operator's, small.
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

  async standing(keys: string[]): Promise<DenylistEntry[]> {
    const found: Record<string, unknown>[] = [];
    let pending = [...new Set(keys)].map((pk) => ({ pk }));
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_ROUNDS)
        throw new Error(`DynamoDB left ${pending.length} denylist key(s) unprocessed`);
      const { Responses, UnprocessedKeys } = await this.#db.send(
        new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: pending, ConsistentRead: true } } }),
      );
      found.push(...(Responses?.[this.#table] ?? []));
      pending = (UnprocessedKeys?.[this.#table]?.Keys ?? []) as { pk: string }[];
    }
    const entries = new Map(this.#standingOnly(found).map((entry) => [entry.key, entry]));
    return [...new Set(keys)].flatMap((key) => entries.get(key) ?? []);
  }

  async deny(entry: DenylistEntry): Promise<void> {
    const { key, expiresAt, ...rest } = entry;
    const until = expiresAt === undefined ? {} : { expiresAt, ttl: ttlFor(expiresAt) };
    await this.#db.send(new PutCommand({ TableName: this.#table, Item: { pk: key, ...rest, ...until } }));
  }

  async allow(key: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { pk: key } }));
  }

  async list(): Promise<DenylistEntry[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#db.send(
        new ScanCommand({ TableName: this.#table, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return this.#standingOnly(items).sort((a, b) => a.key.localeCompare(b.key));
  }

  /** TTL may lag days, so the clock decides whether an entry stands. */
  #standingOnly(items: Record<string, unknown>[]): DenylistEntry[] {
    const now = this.#clock.now();
    return items
      .filter((item) => typeof item.expiresAt !== 'number' || item.expiresAt > now)
      .map((item) => ({
        key: String(item.pk),
        reason: String(item.reason ?? 'unknown'),
        source: String(item.source ?? 'unknown'),
        deniedAt: Number(item.deniedAt ?? 0),
        ...(typeof item.expiresAt === 'number' ? { expiresAt: item.expiresAt } : {}),
      }));
  }
}
