import { httpHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

/** Readiness: resolves when the challenges table can be read, the dependency every sign-in needs. */
export type HealthDeps = { observability: Observability; probe: () => Promise<void> };

/**
 * GET /health, /health/live, /health/ready. Liveness says the function runs; readiness (and /health)
 * also reads the challenges table.
 */
export function healthHandler(deps: HealthDeps) {
  return httpHandler(deps.observability, async ({ resource }) => {
    if (resource === '/health/live') return { status: 200, body: { status: 'ok' } };
    const started = Date.now();
    const dynamodb = await deps
      .probe()
      .then(() => ({ status: 'ok', latencyMs: Date.now() - started }))
      .catch((error: Error) => ({ status: 'down', error: error.name }));
    const ok = dynamodb.status === 'ok';
    return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'degraded', checks: { dynamodb } } };
  });
}

export const handler = deployed((root) => root.health(), healthHandler);
