import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { RotateResult, SessionRecord, SessionStore } from '../../ports.ts';
import { cancellationReasons, ifConditionHolds, ttlFor } from './conditional.ts';

/** Two tabs refreshing at once present the same token; inside this window that is not theft. */
const PARALLEL_USE_GRACE_MS = 10_000;
/** The longest absolute session lifetime the configuration allows: no older session can remain. */
const LONGEST_SESSION_MS = 90 * 86_400_000;

/**
 * Refresh tokens (`refresh#<sha256>`), each carrying its session's fields, so that signing in
 * writes one item. A session (token family) is revoked by a marker item `session#<sid>`, written only
 * on logout or reuse; all of an identifier's sessions by one item `revoked#<identifierKey>` whose
 * `revokedBefore` ends every session opened earlier. Rotation is one transaction: the old token
 * retired, the family and the identifier checked not revoked, the new token written — or nothing.
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
      new PutCommand({
        TableName: this.#table,
        Item: tokenItem(refreshTokenHash, session, refreshExpiresAt),
        ConditionExpression: 'attribute_not_exists(pk)',
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
    const session = toSession(token);
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.#table,
                Key: { pk: token.pk },
                UpdateExpression: 'SET #status = :rotated, rotatedAt = :now',
                ConditionExpression: '#status = :active AND expiresAt > :now AND absoluteExpiresAt > :now',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':rotated': 'rotated', ':active': 'active', ':now': input.now },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              ConditionCheck: {
                TableName: this.#table,
                Key: { pk: `session#${session.sessionId}` },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              ConditionCheck: {
                TableName: this.#table,
                Key: { pk: `revoked#${session.identifierKey}` },
                ConditionExpression: 'attribute_not_exists(revokedBefore) OR revokedBefore < :createdAt',
                ExpressionAttributeValues: { ':createdAt': session.createdAt },
              },
            },
            {
              Put: {
                TableName: this.#table,
                Item: tokenItem(
                  input.newTokenHash,
                  session,
                  Math.min(input.now + input.idleSeconds * 1000, session.absoluteExpiresAt),
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
          await this.#revoke(session, input.now);
          return { outcome: 'reused' };
        }
      }
      return { outcome: 'invalid' };
    }
    return { outcome: 'rotated', session };
  }

  async revokeByRefreshToken(tokenHash: string, now: number): Promise<void> {
    const token = await this.#get(`refresh#${tokenHash}`);
    if (token) await this.#revoke(toSession(token), now);
  }

  async revokeAll(identifierKey: string, now: number): Promise<void> {
    // Only forward: a late or slow-clocked caller never revives sessions a later call ended.
    await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: `revoked#${identifierKey}` },
          UpdateExpression: 'SET revokedBefore = :now, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(revokedBefore) OR revokedBefore < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': now, ':ttl': ttlFor(now + LONGEST_SESSION_MS) },
        }),
      ),
    );
  }

  /** Idempotent: a second revocation rewrites the same marker. */
  async #revoke(session: SessionRecord, now: number): Promise<void> {
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: { pk: `session#${session.sessionId}`, revokedAt: now, ttl: ttlFor(session.absoluteExpiresAt) },
      }),
    );
  }

  async #get(pk: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: { pk }, ConsistentRead: true }),
    );
    return Item;
  }
}

function tokenItem(hash: string, session: SessionRecord, expiresAt: number): Record<string, unknown> {
  return {
    pk: `refresh#${hash}`,
    ...session,
    status: 'active',
    expiresAt,
    ttl: ttlFor(session.absoluteExpiresAt),
  };
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
