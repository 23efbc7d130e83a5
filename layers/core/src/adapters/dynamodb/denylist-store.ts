import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock, DenylistEntry, DenylistStore } from '../../ports.ts';
import { ifConditionHolds, ttlFor } from './conditional.ts';

const MAX_ROUNDS = 3;

/** Marks entries delivery feedback wrote: an operator's entry (written by deny) never has it. */
const FEEDBACK_ORIGIN = 'feedback';

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

  /**
   * One conditional put. It writes where nothing stands (no entry, or an expired one), and replaces
   * only another feedback event's entry that ends sooner. An operator's entry, standing, is never
   * touched, even to lengthen it: the operator chose its end. The event's own source decides a
   * redelivery, whatever the settings have become since.
   */
  async denyOnFeedback(
    entry: DenylistEntry & { expiresAt: number },
  ): Promise<'denied' | 'duplicate' | 'outranked'> {
    const { key, expiresAt, ...rest } = entry;
    const written = await ifConditionHolds(() =>
      this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: key, ...rest, expiresAt, ttl: ttlFor(expiresAt), origin: FEEDBACK_ORIGIN },
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt <= :now OR ' +
            '(origin = :feedback AND expiresAt < :expiresAt AND #source <> :source)',
          ExpressionAttributeNames: { '#source': 'source' },
          ExpressionAttributeValues: {
            ':now': this.#clock.now(),
            ':feedback': FEEDBACK_ORIGIN,
            ':expiresAt': expiresAt,
            ':source': entry.source,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    if (written.ok) return 'denied';
    return written.old?.source === entry.source ? 'duplicate' : 'outranked';
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
