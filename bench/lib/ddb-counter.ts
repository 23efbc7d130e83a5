/**
 * A counting proxy in front of DynamoDB Local (run as its own process: `node ddb-counter.ts <upstream>`).
 * It counts every DynamoDB API call by operation, asks DynamoDB Local for the capacity each one
 * consumed (ReturnConsumedCapacity: TOTAL, removed again from the answer so the caller sees exactly
 * what it asked for) and counts transactional items twice, as DynamoDB bills them.
 *   GET /__counts  → the counters as JSON;  POST /__reset → zero them.
 */
import { Agent, createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

const upstream = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

type OpCount = {
  calls: number;
  items: number;
  readUnits: number;
  writeUnits: number;
  failedConditions: number;
};
let counts: Record<string, OpCount> = {};

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

function itemsOf(operation: string, body: Record<string, unknown>): number {
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems')
    return (body.TransactItems as unknown[] | undefined)?.length ?? 0;
  if (operation === 'BatchGetItem')
    return Object.values((body.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).reduce(
      (sum, table) => sum + (table.Keys?.length ?? 0),
      0,
    );
  if (operation === 'BatchWriteItem')
    return Object.values((body.RequestItems ?? {}) as Record<string, unknown[]>).reduce(
      (sum, table) => sum + table.length,
      0,
    );
  return 1;
}

function unitsOf(consumed: unknown): number {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((sum: number, entry: { CapacityUnits?: number }) => sum + (entry.CapacityUnits ?? 0), 0);
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const server = createServer(async (req, res) => {
  const body = await readAll(req);
  if (req.url === '/__counts') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
    return;
  }
  if (req.url === '/__reset') {
    counts = {};
    res.writeHead(204).end();
    return;
  }
  const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
  let forwarded = body;
  let injected = false;
  let parsed: Record<string, unknown> = {};
  if (body.length > 0 && (READS.has(operation) || WRITES.has(operation))) {
    parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (parsed.ReturnConsumedCapacity === undefined) {
      injected = true;
      forwarded = Buffer.from(JSON.stringify({ ...parsed, ReturnConsumedCapacity: 'TOTAL' }));
    }
  }
  const headers = { ...req.headers, host: upstream.host, 'content-length': String(forwarded.length) };
  const upstreamReq = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
    async (upstreamRes) => {
      let answer = await readAll(upstreamRes);
      const responseHeaders = { ...upstreamRes.headers };
      if (READS.has(operation) || WRITES.has(operation)) {
        const entry = counts[operation] ?? {
          calls: 0,
          items: 0,
          readUnits: 0,
          writeUnits: 0,
          failedConditions: 0,
        };
        counts[operation] = entry;
        entry.calls++;
        entry.items += itemsOf(operation, parsed);
        const json = answer.length ? (JSON.parse(answer.toString('utf8')) as Record<string, unknown>) : {};
        if (String(json.__type ?? '').includes('ConditionalCheckFailed')) entry.failedConditions++;
        // DynamoDB Local reports a transaction's units like plain writes; DynamoDB bills them twice.
        const units = unitsOf(json.ConsumedCapacity) * (operation.startsWith('Transact') ? 2 : 1);
        if (READS.has(operation)) entry.readUnits += units;
        else entry.writeUnits += units;
        if (injected && json.ConsumedCapacity !== undefined) {
          delete json.ConsumedCapacity;
          answer = Buffer.from(JSON.stringify(json));
          responseHeaders['x-amz-crc32'] = String(crc32(answer));
          responseHeaders['content-length'] = String(answer.length);
        }
      }
      res.writeHead(upstreamRes.statusCode ?? 502, responseHeaders).end(answer);
    },
  );
  upstreamReq.on('error', (error) => {
    res.writeHead(502).end(String(error));
  });
  upstreamReq.end(forwarded);
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`ddb-counter listening at http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
