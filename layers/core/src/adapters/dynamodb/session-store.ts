import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { RotateResult, SessionRecord, SessionStore } from '../../ports.ts';
import { cancellationReasons, ttlFor } from './conditional.ts';

/** Two tabs refreshing at once present the same token; inside this window that is not theft. */
const PARALLEL_USE_GRACE_MS = 10_000;

/**
 * Sessions (`session#<sid>`) and their refresh tokens (`refresh#<sha256>`) in one table. Rotation is
 * a transaction: the old token is retired, the session checked alive and the new token written, or
 * nothing happens.
 */
export class DynamoSessionStore implements SessionStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async createSession(
    session: SessionRecord,
    refreshTokenHash: string,
    refreshExpiresAt: number,
  ): Promise<void> {
    await this.#db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.#table,
              Item: {
                pk: `session#${session.sessionId}`,
                ...session,
                revoked: false,
                ttl: ttlFor(session.absoluteExpiresAt),
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: this.#table,
              Item: this.#tokenItem(refreshTokenHash, session.sessionId, refreshExpiresAt),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  }

  async rotateRefreshToken(input: {
    oldTokenHash: string;
    newTokenHash: string;
    now: number;
    idleSeconds: number;
  }): Promise<RotateResult> {
    const token = await this.#get(`refresh#${input.oldTokenHash}`);
    if (!token) return { outcome: 'invalid' };
    const session = await this.#get(`session#${token.sessionId as string}`);
    if (!session) return { outcome: 'invalid' };
    const absoluteExpiresAt = session.absoluteExpiresAt as number;
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.#table,
                Key: { pk: `refresh#${input.oldTokenHash}` },
                UpdateExpression: 'SET #status = :rotated, rotatedAt = :now',
                ConditionExpression: '#status = :active AND expiresAt > :now',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':rotated': 'rotated', ':active': 'active', ':now': input.now },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              ConditionCheck: {
                TableName: this.#table,
                Key: { pk: session.pk },
                ConditionExpression: 'revoked = :false AND absoluteExpiresAt > :now',
                ExpressionAttributeValues: { ':false': false, ':now': input.now },
              },
            },
            {
              Put: {
                TableName: this.#table,
                Item: this.#tokenItem(
                  input.newTokenHash,
                  token.sessionId as string,
                  Math.min(input.now + input.idleSeconds * 1000, absoluteExpiresAt),
                ),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      const [oldToken] = cancellationReasons(error);
      const rotatedAt = oldToken?.old?.rotatedAt;
      if (oldToken?.code === 'ConditionalCheckFailed' && typeof rotatedAt === 'number') {
        if (input.now - rotatedAt > PARALLEL_USE_GRACE_MS) {
          await this.#revoke(session.pk as string, input.now);
          return { outcome: 'reused' };
        }
      }
      return { outcome: 'invalid' };
    }
    return { outcome: 'rotated', session: toSession(session) };
  }

  async revokeByRefreshToken(tokenHash: string, now: number): Promise<void> {
    const token = await this.#get(`refresh#${tokenHash}`);
    if (token) await this.#revoke(`session#${token.sessionId as string}`, now);
  }

  async #revoke(sessionKey: string, now: number): Promise<void> {
    await this.#db
      .send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: sessionKey },
          UpdateExpression: 'SET revoked = :true, revokedAt = if_not_exists(revokedAt, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':true': true, ':now': now },
        }),
      )
      .catch((error: unknown) => {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      });
  }

  async #get(pk: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: { pk }, ConsistentRead: true }),
    );
    return Item;
  }

  #tokenItem(hash: string, sessionId: string, expiresAt: number): Record<string, unknown> {
    return { pk: `refresh#${hash}`, sessionId, status: 'active', expiresAt, ttl: ttlFor(expiresAt) };
  }
}

function toSession(item: Record<string, unknown>): SessionRecord {
  return {
    sessionId: item.sessionId as string,
    userId: item.userId as string,
    identifierKey: item.identifierKey as string,
    createdAt: item.createdAt as number,
    absoluteExpiresAt: item.absoluteExpiresAt as number,
  };
}
