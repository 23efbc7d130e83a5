import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ChallengeRecord, ChallengeStore, ClaimSendResult, ResendClaim } from '../../ports.ts';
import { ifConditionHolds, ttlFor } from './conditional.ts';

const RELEASED = '-';

/** Challenges keyed by id. Each method is a single conditional UpdateItem. */
export class DynamoChallengeStore implements ChallengeStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async claimFirstSend(record: ChallengeRecord): Promise<ClaimSendResult> {
    // A released claim (sends = 0) may be taken again by the step's retry; attempts already
    // counted against the challenge id survive it.
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: record.challengeId },
          UpdateExpression:
            'SET identifierKey = :identifierKey, channel = :channel, destination = :destination, codeHash = :codeHash, ' +
            'codeLength = :codeLength, #status = :pending, attempts = if_not_exists(attempts, :zero), sends = :one, ' +
            'createdAt = :now, lastSentAt = :now, expiresAt = :expiresAt, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(pk) OR sends = :zero',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':identifierKey': record.identifierKey,
            ':channel': record.channel,
            ':destination': record.destination,
            ':codeHash': record.codeHash,
            ':codeLength': record.codeLength,
            ':pending': 'pending',
            ':zero': 0,
            ':one': 1,
            ':now': record.createdAt,
            ':expiresAt': record.expiresAt,
            ':ttl': ttlFor(record.expiresAt),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    if (result.ok) return { outcome: 'claimed', record: toRecord(result.value.Attributes) };
    if (!result.old) return { outcome: 'closed' };
    return { outcome: 'already-claimed', record: toRecord(result.old) };
  }

  async find(challengeId: string): Promise<ChallengeRecord | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: { pk: challengeId }, ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async claimResend(input: Parameters<ChallengeStore['claimResend']>[0]): Promise<ResendClaim> {
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: input.challengeId },
          UpdateExpression:
            'SET codeHash = :codeHash, lastSentAt = :now, expiresAt = :expiresAt, #ttl = :ttl ADD sends :one',
          ConditionExpression:
            'attribute_exists(pk) AND #status = :pending AND expiresAt > :now AND attempts < :maxAttempts ' +
            'AND sends < :maxSends AND lastSentAt <= :cooledDownBefore',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':codeHash': input.codeHash,
            ':now': input.now,
            ':expiresAt': input.expiresAt,
            ':ttl': ttlFor(input.expiresAt),
            ':one': 1,
            ':pending': 'pending',
            ':maxAttempts': input.maxAttempts,
            ':maxSends': input.maxSends,
            ':cooledDownBefore': input.now - input.cooldownMs,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    if (result.ok) return { outcome: 'claimed', record: toRecord(result.value.Attributes) };
    return { outcome: 'refused', record: result.old ? toRecord(result.old) : undefined };
  }

  async releaseSend(challengeId: string, codeHash: string): Promise<void> {
    await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: challengeId },
          UpdateExpression: 'SET codeHash = :released, lastSentAt = :zero ADD sends :minusOne',
          ConditionExpression: 'codeHash = :codeHash',
          ExpressionAttributeValues: {
            ':released': RELEASED,
            ':zero': 0,
            ':minusOne': -1,
            ':codeHash': codeHash,
          },
        }),
      ),
    );
  }

  async countAttempt(
    challengeId: string,
    now: number,
    maxAttempts: number,
  ): Promise<ChallengeRecord | undefined> {
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: challengeId },
          UpdateExpression: 'ADD attempts :one',
          ConditionExpression:
            'attribute_exists(pk) AND #status = :pending AND expiresAt > :now AND attempts < :max',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':pending': 'pending', ':now': now, ':max': maxAttempts },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return result.ok ? toRecord(result.value.Attributes) : undefined;
  }

  async consume(challengeId: string, codeHash: string, now: number): Promise<boolean> {
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: challengeId },
          UpdateExpression: 'SET #status = :used, usedAt = :now',
          ConditionExpression: '#status = :pending AND codeHash = :codeHash AND expiresAt > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':used': 'used',
            ':pending': 'pending',
            ':codeHash': codeHash,
            ':now': now,
          },
        }),
      ),
    );
    return result.ok;
  }
}

function toRecord(item: Record<string, unknown> | undefined): ChallengeRecord {
  if (!item) throw new Error('DynamoDB returned no attributes for a challenge');
  return {
    challengeId: item.pk as string,
    identifierKey: item.identifierKey as string,
    channel: item.channel as ChallengeRecord['channel'],
    destination: item.destination as string,
    codeHash: item.codeHash as string,
    codeLength: item.codeLength as number,
    status: item.status as ChallengeRecord['status'],
    attempts: item.attempts as number,
    sends: item.sends as number,
    createdAt: item.createdAt as number,
    lastSentAt: item.lastSentAt as number,
    expiresAt: item.expiresAt as number,
  };
}
