import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditLog, AuditRecord } from '../../ports.ts';
import { ttlFor } from './conditional.ts';

const DAY_MS = 86_400_000;

/**
 * The audit trail: one partition per subject (an identifier's reference today; a user or session
 * later), sorted by time, so one Query reads a subject's history in order. The sort key ends in a
 * random id: two records of one subject in the same millisecond both stay. DynamoDB's TTL drops a
 * record `retentionDays` after it was written.
 */
export class DynamoAuditLog implements AuditLog {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionDays: number;

  constructor(db: DynamoDBDocumentClient, table: string, retentionDays: number) {
    this.#db = db;
    this.#table = table;
    this.#retentionDays = retentionDays;
  }

  async record(record: AuditRecord): Promise<void> {
    const at = new Date(record.at).toISOString();
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...record.facts,
          pk: record.subject,
          sk: `${at}#${randomUUID()}`,
          action: record.action,
          at,
          ttl: ttlFor(record.at + this.#retentionDays * DAY_MS),
        },
        // Never overwrites: a record is appended once.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }
}
