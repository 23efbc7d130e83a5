import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { User, UserStore } from '../../ports.ts';

/** Users keyed by normalised identifier; the first successful verify creates one. */
export class DynamoUserStore implements UserStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async recordLogin(identifierKey: string, newUserId: string, now: number): Promise<User> {
    // if_not_exists makes sign-up-or-sign-in one atomic write: parallel first logins agree on one id.
    const { Attributes } = await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: identifierKey },
        UpdateExpression:
          'SET userId = if_not_exists(userId, :userId), createdAt = if_not_exists(createdAt, :now), lastLoginAt = :now',
        ExpressionAttributeValues: { ':userId': newUserId, ':now': now },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return {
      userId: Attributes?.userId as string,
      identifierKey,
      createdAt: Attributes?.createdAt as number,
    };
  }

  async find(identifierKey: string): Promise<User | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: { pk: identifierKey }, ConsistentRead: true }),
    );
    return Item
      ? { userId: Item.userId as string, identifierKey, createdAt: Item.createdAt as number }
      : undefined;
  }
}
