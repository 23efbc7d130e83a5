/**
 * DynamoDB transactions that touch a busy item (the global budget, an attacked identifier's lock)
 * are cancelled by each other; a cancellation by a condition is an answer.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { transact } from '../../layers/core/src/adapters/dynamodb/conditional.ts';
import { ServiceUnavailable } from '../../layers/core/src/errors.ts';

const cancelled = (...codes: string[]) =>
  Object.assign(new Error('Transaction cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/** A client whose transactions end as `outcomes` say, one after another; counts its calls. */
function client(...outcomes: (Error | 'ok')[]) {
  let calls = 0;
  const db = {
    send: async () => {
      const outcome = outcomes[Math.min(calls++, outcomes.length - 1)];
      if (outcome !== 'ok') throw outcome;
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  return { db, calls: () => calls };
}

describe('transact', () => {
  it('tries again after a conflict with another transaction', async () => {
    const { db, calls } = client(cancelled('None', 'TransactionConflict'), 'ok');
    await expect(transact(db, [])).resolves.toEqual({ ok: true });
    expect(calls()).toBe(2);
  });

  it('answers a failed condition at once, with the reasons by item', async () => {
    const { db, calls } = client(cancelled('None', 'ConditionalCheckFailed', 'TransactionConflict'));
    await expect(transact(db, [])).resolves.toMatchObject({
      ok: false,
      reasons: [{ code: 'None' }, { code: 'ConditionalCheckFailed' }, { code: 'TransactionConflict' }],
    });
    expect(calls()).toBe(1);
  });

  it('asks the client to retry shortly when the item stays busy', async () => {
    const { db, calls } = client(cancelled('TransactionConflict'));
    await expect(transact(db, [])).rejects.toBeInstanceOf(ServiceUnavailable);
    expect(calls()).toBe(7);
  });

  it('treats a throttled item like a busy one', async () => {
    const { db, calls } = client(cancelled('ThrottlingError'));
    await expect(transact(db, [])).rejects.toBeInstanceOf(ServiceUnavailable);
    expect(calls()).toBe(7);
  });

  it('lets any other failure through', async () => {
    const throttled = Object.assign(new Error('slow down'), {
      name: 'ProvisionedThroughputExceededException',
    });
    await expect(transact(client(throttled).db, [])).rejects.toBe(throttled);
  });
});
