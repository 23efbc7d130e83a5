/** One logger, tracer and metrics instance per function, configured by POWERTOOLS_* variables. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const logger = new Logger();
export const tracer = new Tracer();
export const metrics = new Metrics();
