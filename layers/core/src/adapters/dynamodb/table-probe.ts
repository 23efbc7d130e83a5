import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Readiness: one read of a key that never exists. It succeeds only when the table is there and
 * the function may read it; eventually consistent, it costs half a read unit.
 */
export async function probeTable(db: DynamoDBDocumentClient, table: string): Promise<void> {
  await db.send(new GetCommand({ TableName: table, Key: { pk: 'health#probe' } }));
}
