import { setTimeout as sleep } from 'node:timers/promises';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ServiceUnavailable } from '../../errors.ts';

// Matched by name, not instanceof: the SDK a function bundles and the one the layer resolves may be
// different copies of the same classes.
type ConditionFailure = Error & { Item?: Record<string, AttributeValue> };
type TransactionFailure = Error & {
  CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[];
};

/** Runs a conditional write; a failed condition is an answer, not an error. */
export async function ifConditionHolds<T>(
  write: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; old: Record<string, unknown> | undefined }> {
  try {
    return { ok: true, value: await write() };
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    const { Item } = error as ConditionFailure;
    return { ok: false, old: Item ? unmarshall(Item) : undefined };
  }
}

/** The reasons of a cancelled transaction, by item position; rethrows any other error. */
export function cancellationReasons(
  error: unknown,
): { code: string | undefined; old: Record<string, unknown> | undefined }[] {
  if ((error as Error).name !== 'TransactionCanceledException') throw error;
  return ((error as TransactionFailure).CancellationReasons ?? []).map((reason) => ({
    code: reason.Code,
    old: reason.Item ? unmarshall(reason.Item) : undefined,
  }));
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Concurrent transactions on one item (the global budget, an attacked identifier) cancel each other. */
const CONFLICT_RETRIES = 6;
/** Cancellations that say nothing about the conditions: the same transaction may succeed later. */
const TRANSIENT = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

/**
 * Writes all items or none. A cancellation by conditions is an answer: the reasons by item
 * position, each with the item as it stood. A cancellation by a conflicting transaction on the same
 * item, or by throttling, says nothing about the conditions, so it is tried again after a jittered
 * pause; if the item stays that busy, the client is asked to retry shortly.
 */
export async function transact(
  db: DynamoDBDocumentClient,
  items: TransactItem[],
): Promise<{ ok: true } | { ok: false; reasons: ReturnType<typeof cancellationReasons> }> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand({ TransactItems: items }));
      return { ok: true };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons.some((reason) => reason.code === 'ConditionalCheckFailed')) return { ok: false, reasons };
      if (!reasons.some((reason) => TRANSIENT.has(reason.code ?? ''))) throw error;
      if (attempt === CONFLICT_RETRIES) {
        throw new ServiceUnavailable('Too many requests for the same sign-in at once; retry shortly.', {
          cause: error,
        });
      }
      await sleep(Math.random() * 25 * 2 ** attempt);
    }
  }
}

/** TTL attributes are epoch seconds; the extra day keeps expired items around for support. */
export const ttlFor = (expiresAtMs: number): number => Math.ceil(expiresAtMs / 1000) + 86_400;
