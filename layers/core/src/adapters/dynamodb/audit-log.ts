import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditLog, AuditPage, AuditRecord } from '../../ports.ts';
import { ttlFor } from './conditional.ts';

const DAY_MS = 86_400_000;

/**
 * The audit trail, read: one partition per subject (an identifier's reference), sorted by time, so
 * one Query reads a subject's history in order. A page's position is the sort key of its last
 * record. GET /v1/me/activity reads through this alone; writers use DynamoAuditLog.
 */
export class DynamoAuditTrail implements Pick<AuditLog, 'read'> {
  protected readonly db: DynamoDBDocumentClient;
  protected readonly table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.db = db;
    this.table = table;
  }

  async read(subject: string, page: { limit: number; after?: string | undefined }): Promise<AuditPage> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :subject',
        ExpressionAttributeValues: { ':subject': subject },
        // The partition is always the subject named here: a position only says where in it to go on.
        ...(page.after ? { ExclusiveStartKey: { pk: subject, sk: page.after } } : {}),
        ScanIndexForward: false,
        ConsistentRead: true,
        // One more than asked: a full page says whether older records remain, so the last page
        // carries no position and a client never fetches an empty one.
        Limit: page.limit + 1,
      }),
    );
    const records = Items.slice(0, page.limit);
    return {
      records: records.map(toRecord),
      next: Items.length > page.limit ? (records.at(-1)?.sk as string) : undefined,
    };
  }
}

/**
 * The audit trail, written and read. The sort key ends in a random id: two records of one subject
 * in the same millisecond both stay. DynamoDB's TTL drops a record `retentionDays` after it was
 * written.
 */
export class DynamoAuditLog extends DynamoAuditTrail implements AuditLog {
  readonly #retentionDays: number;

  constructor(db: DynamoDBDocumentClient, table: string, retentionDays: number) {
    super(db, table);
    this.#retentionDays = retentionDays;
  }

  async record(record: AuditRecord): Promise<void> {
    const at = new Date(record.at).toISOString();
    await this.db.send(
      new PutCommand({
        TableName: this.table,
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

function toRecord(item: Record<string, unknown>): AuditRecord {
  const { pk, sk, ttl, at, action, ...facts } = item;
  return {
    subject: pk as string,
    at: Date.parse(at as string),
    action: action as string,
    facts: facts as AuditRecord['facts'],
  };
}
