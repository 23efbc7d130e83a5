import { probeTable } from '@authkit/core/adapters/dynamodb';
import { tables } from '../_shared/config.ts';
import { db } from '../_shared/dynamodb.ts';
import { httpHandler } from '../_shared/handler.ts';

/**
 * GET /health, /health/live, /health/ready. Liveness says the function runs; readiness (and /health)
 * also reads the challenges table, the dependency every sign-in needs.
 */
export const handler = httpHandler(async ({ resource }) => {
  if (resource === '/health/live') return { status: 200, body: { status: 'ok' } };
  const started = Date.now();
  const dynamodb = await probeTable(db, tables.challenges)
    .then(() => ({ status: 'ok', latencyMs: Date.now() - started }))
    .catch((error: Error) => ({ status: 'down', error: error.name }));
  const ok = dynamodb.status === 'ok';
  return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'degraded', checks: { dynamodb } } };
});
