import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailable } from '../../errors.ts';
import type {
  RotateResult,
  SessionEndReason,
  SessionRecord,
  SessionStore,
  SessionSummary,
} from '../../ports.ts';
import { cancellationReasons, ifConditionHolds, ttlFor } from './conditional.ts';

/** Two tabs refreshing at once present the same token; inside this window that is not theft. */
const PARALLEL_USE_GRACE_MS = 10_000;
/** The longest absolute session lifetime the configuration allows: no older session can remain. */
const LONGEST_SESSION_MS = 90 * 86_400_000;

/**
 * Refresh tokens (sessions table, `refresh#<sha256>`), each carrying its session's fields, and one
 * summary per session (accounts table, `pk` = user id, `sk` = `session#<sid>`): what the owner
 * lists, what the authorizer reads on every request, and where a session is ended (`revokedAt`).
 * Signing in writes a token and the summary in one transaction; rotation retires the old token,
 * checks the session and the identifier not ended, touches the summary and writes the new token, in
 * one transaction — or nothing. All of an identifier's sessions end by one item
 * `revoked#<identifierKey>` whose `revokedBefore` stops every session opened earlier from rotating.
 */
export class DynamoSessionStore implements SessionStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #accounts: string;

  constructor(db: DynamoDBDocumentClient, table: string, accountsTable: string) {
    this.#db = db;
    this.#table = table;
    this.#accounts = accountsTable;
  }

  async createSession(
    session: SessionRecord,
    refreshTokenHash: string,
    refreshExpiresAt: number,
  ): Promise<void> {
    // A device revoked after the sign-in recognised it takes no new session: its revocation ends
    // the sessions it lists, and one written after that listing would outlive it.
    const deviceStands = session.deviceId && {
      ConditionCheck: {
        TableName: this.#accounts,
        Key: { pk: session.userId, sk: `device#${session.deviceId}` },
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
      },
    };
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table,
                Item: tokenItem(refreshTokenHash, session, refreshExpiresAt),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.#accounts,
                Item: {
                  pk: session.userId,
                  sk: `session#${session.sessionId}`,
                  ...session,
                  lastSeenAt: session.createdAt,
                  ttl: ttlFor(session.absoluteExpiresAt),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...(deviceStands ? [deviceStands] : []),
          ],
        }),
      );
    } catch (error) {
      const device = cancellationReasons(error)[2];
      if (device?.code === 'ConditionalCheckFailed') {
        throw new ServiceUnavailable('The device was revoked while the sign-in opened its session');
      }
      throw error;
    }
  }

  async rotateRefreshToken(input: {
    oldTokenHash: string;
    newTokenHash: string;
    now: number;
    idleSeconds: number;
    accept?: (session: SessionRecord) => Promise<boolean>;
  }): Promise<RotateResult> {
    const token = await this.#get(this.#table, { pk: `refresh#${input.oldTokenHash}` });
    if (!token) return { outcome: 'invalid' };
    const session = toSession(token);
    if (token.status === 'active' && input.accept && !(await input.accept(session)))
      return { outcome: 'refused' };
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
              // The session lives (never ended), and it was last seen now.
              Update: {
                TableName: this.#accounts,
                Key: summaryKey(session),
                UpdateExpression: 'SET lastSeenAt = :now',
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
                ExpressionAttributeValues: { ':now': input.now },
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
          const ended = await this.endSession(session.userId, session.sessionId, input.now, 'reuse');
          return { outcome: 'reused', session, ended };
        }
      }
      return { outcome: 'invalid' };
    }
    return { outcome: 'rotated', session };
  }

  async revokeByRefreshToken(
    tokenHash: string,
    now: number,
  ): Promise<{ session: SessionSummary; ended: boolean } | undefined> {
    const token = await this.#get(this.#table, { pk: `refresh#${tokenHash}` });
    if (!token) return undefined;
    const session = toSession(token);
    const ended = await this.endSession(session.userId, session.sessionId, now, 'logout');
    const summary = await this.findSession(session.userId, session.sessionId);
    return summary && { session: summary, ended };
  }

  async revokeAll(identifierKey: string, now: number, userId?: string): Promise<void> {
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
    if (userId === undefined) return;
    // The marker stops refreshes; ending each session stops its access tokens at the authorizer.
    const sessions = await this.listSessions(userId, now);
    await Promise.all(
      sessions
        .filter((session) => session.identifierKey === identifierKey && session.createdAt < now)
        .map((session) => this.endSession(userId, session.sessionId, now, 'operator')),
    );
  }

  async findSession(userId: string, sessionId: string): Promise<SessionSummary | undefined> {
    const item = await this.#get(this.#accounts, summaryKey({ userId, sessionId }));
    return item && toSummary(item);
  }

  async listSessions(userId: string, now: number): Promise<SessionSummary[]> {
    const sessions: SessionSummary[] = [];
    let from: Record<string, unknown> | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({
          TableName: this.#accounts,
          KeyConditionExpression: 'pk = :user AND begins_with(sk, :session)',
          ExpressionAttributeValues: { ':user': userId, ':session': 'session#' },
          ConsistentRead: true,
          ExclusiveStartKey: from,
        }),
      );
      for (const item of page.Items ?? []) {
        const summary = toSummary(item);
        if (summary.revokedAt === undefined && summary.absoluteExpiresAt > now) sessions.push(summary);
      }
      from = page.LastEvaluatedKey;
    } while (from);
    return sessions;
  }

  async endSession(
    userId: string,
    sessionId: string,
    now: number,
    reason: SessionEndReason,
  ): Promise<boolean> {
    const ended = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#accounts,
          Key: summaryKey({ userId, sessionId }),
          UpdateExpression: 'SET revokedAt = :now, endedBy = :reason',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':now': now, ':reason': reason },
        }),
      ),
    );
    return ended.ok;
  }

  async #get(table: string, key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
}

/**
 * The one read AuthKit's authorizer makes per request: a session's summary, strongly consistent,
 * from the accounts table alone (the authorizer may read nothing else).
 */
export class DynamoSessionLookup implements Pick<SessionStore, 'findSession'> {
  readonly #db: DynamoDBDocumentClient;
  readonly #accounts: string;

  constructor(db: DynamoDBDocumentClient, accountsTable: string) {
    this.#db = db;
    this.#accounts = accountsTable;
  }

  async findSession(userId: string, sessionId: string): Promise<SessionSummary | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({
        TableName: this.#accounts,
        Key: summaryKey({ userId, sessionId }),
        ConsistentRead: true,
      }),
    );
    return Item && toSummary(Item);
  }
}

function summaryKey(session: Pick<SessionRecord, 'userId' | 'sessionId'>): Record<string, string> {
  return { pk: session.userId, sk: `session#${session.sessionId}` };
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
    method: (item.method as SessionRecord['method'] | undefined) ?? 'otp',
    network: (item.network as string | undefined) ?? 'unknown',
    ...(typeof item.deviceId === 'string' ? { deviceId: item.deviceId } : {}),
  };
}

function toSummary(item: Record<string, unknown>): SessionSummary {
  return {
    ...toSession(item),
    lastSeenAt: item.lastSeenAt as number,
    ...(typeof item.revokedAt === 'number' ? { revokedAt: item.revokedAt } : {}),
    ...(typeof item.endedBy === 'string' ? { endedBy: item.endedBy as SessionEndReason } : {}),
  };
}
