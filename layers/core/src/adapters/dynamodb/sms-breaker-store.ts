import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  BreakerCounts,
  BreakerScope,
  BreakerTrip,
  BreakerWindow,
  SmsBreakerStore,
} from '../../ports.ts';
import { windowOf } from '../../rate-limits.ts';
import { ifConditionHolds, ttlFor } from './conditional.ts';

/**
 * The SMS-pumping breaker's items in the counters table: per scope and fixed window
 * `smsbreaker#<scope>#<value>#<windowStart>` with `sends` and `verified`, kept one window past its
 * end (it is the previous window then); per scope one trip, `smsbreaker#<scope>#<value>#trip`.
 */
export class DynamoSmsBreakerStore implements SmsBreakerStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async count(
    scopes: BreakerScope[],
    counter: keyof BreakerCounts,
    window: BreakerWindow,
  ): Promise<BreakerCounts[]> {
    const { windowStart, windowEnd } = windowOf(window.windowSeconds, window.now);
    return Promise.all(
      scopes.map(async (scope) => {
        const { Attributes } = await this.#db.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: { pk: `${scopeKey(scope)}#${windowStart}` },
            UpdateExpression: 'ADD #counter :one SET #ttl = :ttl',
            ExpressionAttributeNames: { '#counter': counter, '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':one': 1,
              ':ttl': ttlFor(windowEnd + window.windowSeconds * 1000),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return countsOf(Attributes);
      }),
    );
  }

  async history(scopes: BreakerScope[], window: BreakerWindow) {
    const { windowStart } = windowOf(window.windowSeconds, window.now);
    const previousStart = windowStart - window.windowSeconds * 1000;
    const items = await this.#read([
      ...scopes.map((scope) => `${scopeKey(scope)}#${previousStart}`),
      ...scopes.map(tripKey),
    ]);
    return scopes.map((scope) => ({
      previous: countsOf(items.get(`${scopeKey(scope)}#${previousStart}`)),
      trip: tripOf(items.get(tripKey(scope))),
    }));
  }

  async trips(scopes: BreakerScope[]): Promise<(BreakerTrip | undefined)[]> {
    const items = await this.#read(scopes.map(tripKey));
    return scopes.map((scope) => tripOf(items.get(tripKey(scope))));
  }

  async trip(scope: BreakerScope, trip: BreakerTrip, keepUntil: number): Promise<boolean> {
    const written = await ifConditionHolds(() =>
      this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: tripKey(scope), ...trip, ttl: ttlFor(keepUntil) },
          ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': trip.trippedAt },
        }),
      ),
    );
    return written.ok;
  }

  /** Eventually consistent: a trip or a closed window read a moment late changes no decision. */
  async #read(keys: string[]): Promise<Map<string, Record<string, unknown>>> {
    const { Responses, UnprocessedKeys } = await this.#db.send(
      new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: keys.map((pk) => ({ pk })) } } }),
    );
    if (UnprocessedKeys?.[this.#table]) throw new Error('DynamoDB left breaker items unread');
    return new Map((Responses?.[this.#table] ?? []).map((item) => [item.pk as string, item]));
  }
}

const scopeKey = (scope: BreakerScope) => `smsbreaker#${scope.scope}#${scope.value}`;
const tripKey = (scope: BreakerScope) => `${scopeKey(scope)}#trip`;

function countsOf(item: Record<string, unknown> | undefined): BreakerCounts {
  return { sends: Number(item?.sends ?? 0), verified: Number(item?.verified ?? 0) };
}

function tripOf(item: Record<string, unknown> | undefined): BreakerTrip | undefined {
  if (typeof item?.until !== 'number') return undefined;
  const baseline = (item.baseline ?? {}) as Record<string, unknown>;
  return {
    trippedAt: Number(item.trippedAt),
    until: item.until,
    sends: Number(item.sends ?? 0),
    verified: Number(item.verified ?? 0),
    baseline: { windowStart: Number(baseline.windowStart ?? 0), ...countsOf(baseline) },
  };
}
