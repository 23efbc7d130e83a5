import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock, DenylistStore } from '../../ports.ts';

/**
 * Denied identifiers and domains, keyed like `email#a@b.com` or `domain#b.com`. An entry with an
 * `expiresAt` (epoch ms) is a temporary block; TTL may lag days, so the clock decides. One strongly
 * consistent GetItem per key: a BatchGetItem may leave keys unprocessed, and a check that skips a
 * key fails open.
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
    const items = await Promise.all(
      keys.map((pk) =>
        this.#db.send(
          new GetCommand({
            TableName: this.#table,
            Key: { pk },
            ConsistentRead: true,
            ProjectionExpression: 'pk, expiresAt',
          }),
        ),
      ),
    );
    const now = this.#clock.now();
    const denied = items.findIndex(
      ({ Item }) => Item !== undefined && (typeof Item.expiresAt !== 'number' || Item.expiresAt > now),
    );
    return denied === -1 ? undefined : keys[denied];
  }
}
