/**
 * DynamoDB Local never leaves BatchGetItem keys unprocessed, so this one branch of the denylist
 * adapter is specified against a scripted client: a check must never pass a key it did not read.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { DynamoDenylistStore } from '../../layers/core/src/adapters/dynamodb/denylist-store.ts';

const TABLE = 'Denylist';
const clock = { now: () => 1_000 };

function scripted(...answers: { found?: string[]; unprocessed?: string[] }[]) {
  const requests: string[][] = [];
  const db = {
    send: async (command: { input: { RequestItems: Record<string, { Keys: { pk: string }[] }> } }) => {
      requests.push((command.input.RequestItems[TABLE]?.Keys ?? []).map((key) => key.pk));
      const answer = answers.shift() ?? {};
      return {
        Responses: { [TABLE]: (answer.found ?? []).map((pk) => ({ pk })) },
        UnprocessedKeys: answer.unprocessed
          ? { [TABLE]: { Keys: answer.unprocessed.map((pk) => ({ pk })) } }
          : {},
      };
    },
  } as unknown as DynamoDBDocumentClient;
  return { store: new DynamoDenylistStore(db, TABLE, clock), requests };
}

describe('the denylist adapter with unprocessed keys', () => {
  it('asks again for the keys DynamoDB left unprocessed and finds a denial among them', async () => {
    const { store, requests } = scripted({ unprocessed: ['domain#b.com'] }, { found: ['domain#b.com'] });
    await expect(store.standing(['email#a@b.com', 'domain#b.com'])).resolves.toMatchObject([
      { key: 'domain#b.com' },
    ]);
    expect(requests).toEqual([['email#a@b.com', 'domain#b.com'], ['domain#b.com']]);
  });

  it('fails rather than pass when keys stay unprocessed', async () => {
    const stuck = { unprocessed: ['email#a@b.com'] };
    const { store } = scripted(stuck, stuck, stuck);
    await expect(store.standing(['email#a@b.com'])).rejects.toThrow(/unprocessed/);
  });
});
