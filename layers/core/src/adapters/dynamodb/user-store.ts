import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
          'SET userId = if_not_exists(userId, :userId), createdAt = if_not_exists(createdAt, :now), lastLoginAt = :now, consecutiveFailures = :zero',
        ExpressionAttributeValues: { ':userId': newUserId, ':now': now, ':zero': 0 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return {
      userId: Attributes?.userId as string,
      identifierKey,
      createdAt: Attributes?.createdAt as number,
    };
  }

  async recordFailure(identifierKey: string, now: number): Promise<number> {
    // One atomic ADD: parallel failures all count. The item may precede the user (failures
    // against an identifier that never signed in); recordLogin fills in the rest.
    const { Attributes } = await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: identifierKey },
        UpdateExpression: 'ADD consecutiveFailures :one SET lastFailureAt = :now',
        ExpressionAttributeValues: { ':one': 1, ':now': now },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Attributes?.consecutiveFailures as number;
  }
}
