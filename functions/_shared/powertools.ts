/** Logging, tracing and metrics: one of each per function, configured by POWERTOOLS_* variables. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export type Observability = { logger: Logger; tracer: Tracer; metrics: Metrics };

export function observability(): Observability {
  return { logger: new Logger(), tracer: new Tracer(), metrics: new Metrics() };
}
