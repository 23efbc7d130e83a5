import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock, DenylistStore } from '../../ports.ts';

/**
 * Denied identifiers and domains, keyed like `email#a@b.com` or `domain#b.com`. An entry with an
 * `expiresAt` (epoch ms) is a temporary block; TTL may lag days, so the clock decides.
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
    const { Responses } = await this.#db.send(
      new BatchGetCommand({
        RequestItems: {
          [this.#table]: {
            Keys: [...new Set(keys)].map((pk) => ({ pk })),
            ConsistentRead: true,
            ProjectionExpression: 'pk, expiresAt',
          },
        },
      }),
    );
    const now = this.#clock.now();
    const denied = (Responses?.[this.#table] ?? []).filter(
      (item) => typeof item.expiresAt !== 'number' || item.expiresAt > now,
    );
    return keys.find((key) => denied.some((item) => item.pk === key));
  }
}
