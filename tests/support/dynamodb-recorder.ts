/**
 * A loopback proxy in front of DynamoDB Local that records, per caller, each IAM action a request
 * needs on each table. A caller is named by its endpoint's path: `<url>/<FunctionId>`.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

type Body = {
  TableName?: string;
  RequestItems?: Record<string, unknown>;
  TransactItems?: Record<string, { TableName: string }>[];
};

/** `dynamodb:<Action> <Table>` for each table one request touches, as IAM authorises it. */
export function iamActionsOf(operation: string, body: Body): string[] {
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    // A transaction is authorised item by item, by each item's own operation.
    const actions: Record<string, string> = {
      Update: 'UpdateItem',
      Put: 'PutItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
      Get: 'GetItem',
    };
    return (body.TransactItems ?? []).flatMap((item) =>
      Object.entries(item).map(([kind, { TableName }]) => `dynamodb:${actions[kind] ?? kind} ${TableName}`),
    );
  }
  const tables = body.TableName ? [body.TableName] : Object.keys(body.RequestItems ?? {});
  return tables.map((table) => `dynamodb:${operation} ${table}`);
}

export async function startDynamoDbRecorder(target: string) {
  const calls = new Map<string, Set<string>>();
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const caller = (incoming.url ?? '/').split('/')[1] ?? '';
      const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const seen = calls.get(caller) ?? new Set<string>();
      for (const action of iamActionsOf(operation, JSON.parse(body.toString('utf8') || '{}') as Body)) {
        seen.add(action);
      }
      calls.set(caller, seen);
      const forward = request(
        new URL('/', target),
        { method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.on('error', () => outgoing.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Each caller's actions, sorted. */
    calls: () => Object.fromEntries([...calls].map(([caller, actions]) => [caller, [...actions].sort()])),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
