import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  AttemptResult,
  BudgetSpend,
  ChallengeRecord,
  ChallengeStore,
  LockSpend,
  SendClaim,
} from '../../ports.ts';
import { ifConditionHolds, transact, ttlFor } from './conditional.ts';
import { budgetUpdates } from './counter-store.ts';
import { lockSpendUpdate, lockState } from './lock-store.ts';

const RELEASED = '-';

/**
 * Challenges keyed by id. A send is claimed in one transaction with the budgets it spends (in the
 * counters table), and an attempt with the lockout locks it spends: all or nothing.
 */
export class DynamoChallengeStore implements ChallengeStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #countersTable: string | undefined;

  /** `countersTable` only where sends are claimed or attempts counted; reading needs none. */
  constructor(db: DynamoDBDocumentClient, table: string, countersTable?: string) {
    this.#db = db;
    this.#table = table;
    this.#countersTable = countersTable;
  }

  get #counters(): string {
    if (!this.#countersTable) throw new Error('this challenge store was built without the counters table');
    return this.#countersTable;
  }

  async claimFirstSend(record: ChallengeRecord, spend: BudgetSpend, maxAttempts: number): Promise<SendClaim> {
    const created = await transact(this.#db, [
      { Update: { ...this.#firstSend(record), ConditionExpression: 'attribute_not_exists(pk)' } },
      ...budgetUpdates(this.#counters, spend),
    ]);
    if (created.ok) return { outcome: 'claimed' };
    const [challenge] = created.reasons;
    if (challenge?.code !== 'ConditionalCheckFailed') return { outcome: 'over-budget' };
    // A released claim (sends = 0) is taken again by the step's retry, or a resend, without
    // spending the budgets twice, while the challenge is open; attempts already counted survive it.
    const retake = this.#firstSend(record);
    const retaken = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          ...retake,
          ConditionExpression:
            'sends = :zero AND #status = :pending AND expiresAt > :now AND attempts < :maxAttempts',
          ExpressionAttributeValues: { ...retake.ExpressionAttributeValues, ':maxAttempts': maxAttempts },
        }),
      ),
    );
    return retaken.ok ? { outcome: 'claimed' } : settled(retaken.old ?? challenge.old, 1);
  }

  #firstSend(record: ChallengeRecord) {
    // A magic link's binding is written with its first send and never changed; resends replace
    // only the link's hash.
    const link = record.link
      ? {
          set: ', linkHash = :linkHash, redirectUri = :redirectUri, codeChallenge = :codeChallenge',
          values: {
            ':linkHash': record.link.linkHash,
            ':redirectUri': record.link.redirectUri,
            ':codeChallenge': record.link.codeChallenge,
          },
        }
      : { set: '', values: {} };
    return {
      TableName: this.#table,
      Key: { pk: record.challengeId },
      UpdateExpression:
        'SET identifierKey = :identifierKey, channel = :channel, #method = :method, destination = :destination, ' +
        'codeHash = :codeHash, codeLength = :codeLength, #status = :pending, attempts = if_not_exists(attempts, :zero), ' +
        `sends = :one, createdAt = :now, lastSentAt = :now, expiresAt = :expiresAt, #ttl = :ttl${link.set}`,
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl', '#method': 'method' },
      ExpressionAttributeValues: {
        ':identifierKey': record.identifierKey,
        ':channel': record.channel,
        ':method': record.method,
        ':destination': record.destination,
        ':codeHash': record.codeHash,
        ':codeLength': record.codeLength,
        ':pending': 'pending',
        ':zero': 0,
        ':one': 1,
        ':now': record.createdAt,
        ':expiresAt': record.expiresAt,
        ':ttl': ttlFor(record.expiresAt),
        ...link.values,
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }

  async find(challengeId: string): Promise<ChallengeRecord | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: { pk: challengeId }, ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async claimResend(input: Parameters<ChallengeStore['claimResend']>[0]): Promise<SendClaim> {
    const values = {
      ':pending': 'pending',
      ':now': input.now,
      ':maxAttempts': input.maxAttempts,
      ':previous': input.sendNumber - 1,
      ':sendNumber': input.sendNumber,
    };
    const open = '#status = :pending AND expiresAt > :now AND attempts < :maxAttempts AND sends = :previous';
    // The new link replaces the old, which stops working; a send without one leaves no link behind.
    const claim = {
      TableName: this.#table,
      Key: { pk: input.challengeId },
      UpdateExpression:
        'SET codeHash = :codeHash, codeLength = :codeLength, lastSentAt = :now, expiresAt = :expiresAt, ' +
        `#ttl = :ttl, spent = :sendNumber${input.linkHash ? ', linkHash = :linkHash' : ''} ADD sends :one` +
        (input.linkHash ? '' : ' REMOVE linkHash'),
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ...values,
        ...(input.linkHash ? { ':linkHash': input.linkHash } : {}),
        ':codeHash': input.codeHash,
        ':codeLength': input.codeLength,
        ':expiresAt': input.expiresAt,
        ':ttl': ttlFor(input.expiresAt),
        ':one': 1,
      },
    };
    const claimed = await transact(this.#db, [
      {
        Update: {
          ...claim,
          // `spent` is the last send number whose budgets were spent: never spend them twice.
          ConditionExpression: `attribute_exists(pk) AND ${open} AND sends < :maxSends AND lastSentAt <= :cooledDownBefore AND (attribute_not_exists(spent) OR spent < :sendNumber)`,
          ExpressionAttributeValues: {
            ...claim.ExpressionAttributeValues,
            ':maxSends': input.maxSends,
            ':cooledDownBefore': input.now - input.cooldownMs,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...budgetUpdates(this.#counters, input.spend),
    ]);
    if (claimed.ok) return { outcome: 'claimed' };
    const [challenge] = claimed.reasons;
    if (challenge?.code !== 'ConditionalCheckFailed') return { outcome: 'over-budget' };
    const old = challenge.old;
    if (
      !old ||
      (old.sends as number) >= input.sendNumber ||
      ((old.spent as number) ?? 0) < input.sendNumber
    ) {
      return settled(old, input.sendNumber);
    }
    // This send was claimed and spent, then released when its delivery failed: the step's retry (or
    // a resend of the same send) takes it again without spending.
    const retaken = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          ...claim,
          ConditionExpression: `${open} AND spent = :sendNumber`,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return retaken.ok ? { outcome: 'claimed' } : settled(retaken.old, input.sendNumber);
  }

  async releaseSend(challengeId: string, codeHash: string): Promise<void> {
    await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: challengeId },
          UpdateExpression:
            'SET codeHash = :released, lastSentAt = :zero ADD sends :minusOne REMOVE linkHash',
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

  async countAttempt(input: {
    challengeId: string;
    now: number;
    maxAttempts: number;
    locks: LockSpend[];
  }): Promise<AttemptResult> {
    const counted = await transact(this.#db, [
      {
        Update: {
          TableName: this.#table,
          Key: { pk: input.challengeId },
          UpdateExpression: 'ADD attempts :one',
          ConditionExpression:
            'attribute_exists(pk) AND #status = :pending AND expiresAt > :now AND attempts < :max',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':pending': 'pending',
            ':now': input.now,
            ':max': input.maxAttempts,
          },
        },
      },
      ...input.locks.map((lock) => lockSpendUpdate(this.#counters, lock, input.now)),
    ]);
    if (counted.ok) return { outcome: 'counted' };
    const [challenge, ...locks] = counted.reasons;
    if (challenge?.code === 'ConditionalCheckFailed') return { outcome: 'closed' };
    const i = locks.findIndex((reason) => reason.code === 'ConditionalCheckFailed');
    const lock = input.locks[i];
    if (!lock) throw new Error('an attempt was cancelled with no condition named');
    return { outcome: 'locked', key: lock.key, state: lockState(locks[i]?.old ?? {}) };
  }

  async consume(challengeId: string, codeHash: string, now: number): Promise<boolean> {
    return this.#markUsed(challengeId, now, 'codeHash = :proof', { ':proof': codeHash });
  }

  async consumeLink(input: {
    challengeId: string;
    linkHash: string;
    now: number;
    maxAttempts: number;
  }): Promise<boolean> {
    // A challenge out of code attempts closes its link too.
    return this.#markUsed(input.challengeId, input.now, 'linkHash = :proof AND attempts < :maxAttempts', {
      ':proof': input.linkHash,
      ':maxAttempts': input.maxAttempts,
    });
  }

  /** Marks the open challenge used if `proof` (the presented code's or link's hash) still holds. */
  async #markUsed(
    challengeId: string,
    now: number,
    proof: string,
    values: Record<string, string | number>,
  ): Promise<boolean> {
    const result = await ifConditionHolds(() =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: challengeId },
          UpdateExpression: 'SET #status = :used, usedAt = :now',
          ConditionExpression: `#status = :pending AND expiresAt > :now AND ${proof}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':used': 'used', ':pending': 'pending', ':now': now, ...values },
        }),
      ),
    );
    return result.ok;
  }
}

/**
 * A claim of send `sendNumber` that lost: to another claim of the same send (a retried step, a
 * parallel resend), which already delivers it, or to the challenge's own conditions.
 */
function settled(old: Record<string, unknown> | undefined, sendNumber: number): SendClaim {
  if (old && (old.sends as number) >= sendNumber)
    return { outcome: 'already-claimed', record: toRecord(old) };
  return { outcome: 'refused', record: old ? toRecord(old) : undefined };
}

function toRecord(item: Record<string, unknown> | undefined): ChallengeRecord {
  if (!item) throw new Error('DynamoDB returned no attributes for a challenge');
  return {
    challengeId: item.pk as string,
    identifierKey: item.identifierKey as string,
    channel: item.channel as ChallengeRecord['channel'],
    destination: item.destination as string,
    method: (item.method as ChallengeRecord['method'] | undefined) ?? 'otp',
    link:
      typeof item.linkHash === 'string'
        ? {
            linkHash: item.linkHash,
            redirectUri: item.redirectUri as string,
            codeChallenge: item.codeChallenge as string,
          }
        : undefined,
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
