/**
 * The middy chains. Every function gets Powertools logging (with the Lambda context), tracing and
 * metrics; HTTP functions also get the problem+json contract. Responses are never captured in
 * traces: they hold tokens.
 */

import { AuthKitError, toWorkflowError } from '@authkit/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  type HttpRequest,
  type HttpResult,
  parseRequest,
  problemResponse,
  requestIdOf,
  toResponse,
} from './http.ts';
import type { Observability } from './powertools.ts';

function chain<In, Out>({ logger, tracer, metrics }: Observability) {
  return middy<In, Out, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics));
}

export type HttpHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export function httpHandler(
  observability: Observability,
  route: (request: HttpRequest) => Promise<HttpResult>,
): HttpHandler {
  const { logger, metrics } = observability;
  return chain<APIGatewayProxyEvent, APIGatewayProxyResult>(observability).handler(async (event) => {
    const requestId = requestIdOf(event);
    // The id the client sees in x-request-id, on every log line of the request.
    logger.setCorrelationId(requestId);
    try {
      const result = await route(parseRequest(event));
      metrics.addMetric(`Http${Math.floor(result.status / 100)}xx`, 'Count', 1);
      return toResponse(result, requestId);
    } catch (error) {
      if (error instanceof AuthKitError) {
        logger.info('request refused', { code: error.code, status: error.status, ...error.data() });
      } else {
        logger.error('request failed', error as Error);
      }
      const response = problemResponse(error, requestId);
      metrics.addMetric(`Http${Math.floor(response.statusCode / 100)}xx`, 'Count', 1);
      return response;
    }
  });
}

export type StepHandler<In, Out> = (input: In, context: Context) => Promise<Out>;

/**
 * Counts each outcome under its error name (the workflow's contract), e.g. `RateLimited`, and hands
 * the workflow a typed refusal with its data (see toWorkflowError).
 */
export function stepHandler<In, Out>(
  observability: Observability,
  step: (input: In) => Promise<Out>,
): StepHandler<In, Out> {
  const { metrics } = observability;
  return chain<In, Out>(observability).handler(async (input) => {
    try {
      const output = await step(input);
      metrics.addMetric('StepPassed', 'Count', 1);
      return output;
    } catch (error) {
      if (!(error instanceof AuthKitError)) {
        metrics.addMetric('StepCrashed', 'Count', 1);
        throw error;
      }
      metrics.addMetric(error.name, 'Count', 1);
      throw toWorkflowError(error);
    }
  });
}

export type EventHandler<Event> = (event: Event, context: Context) => Promise<void>;

/**
 * An EventBridge target. A thrown error is the answer that matters: EventBridge retries the event
 * under the rule's retry policy, then puts it in the dead-letter queue, where an alarm sees it.
 */
export function eventHandler<Event>(
  observability: Observability,
  handle: (event: Event) => Promise<void>,
): EventHandler<Event> {
  const { logger, metrics } = observability;
  return chain<Event, void>(observability).handler(async (event) => {
    try {
      await handle(event);
    } catch (error) {
      metrics.addMetric('EventFailed', 'Count', 1);
      logger.error('event failed; EventBridge retries it, then dead-letters it', error as Error);
      throw error;
    }
  });
}

/**
 * A function invoked directly (the admin function): its refusals reach the caller as Lambda
 * function errors, `{errorType, errorMessage}` with the error's name and public detail; anything
 * else is logged and fails the invocation as it is.
 */
export function commandHandler<Out>(
  observability: Observability,
  run: (event: unknown, context: Context) => Promise<Out>,
): StepHandler<unknown, Out> {
  const { logger, metrics } = observability;
  return chain<unknown, Out>(observability).handler(async (event, context) => {
    try {
      const output = await run(event, context);
      metrics.addMetric('CommandDone', 'Count', 1);
      return output;
    } catch (error) {
      if (!(error instanceof AuthKitError)) {
        metrics.addMetric('CommandCrashed', 'Count', 1);
        logger.error('command failed', error as Error);
        throw error;
      }
      metrics.addMetric('CommandRefused', 'Count', 1);
      logger.info('command refused', { code: error.code, ...error.data() });
      const refusal = new Error(error.detail);
      refusal.name = error.name;
      throw refusal;
    }
  });
}

/**
 * A Secrets Manager rotation function that operators also invoke. Secrets Manager sees only that a
 * step failed (it retries the rotation, then records it failed in CloudTrail), so the log says why:
 * a rule's refusal (`refused`, e.g. the rotation guard) as a warning with its reason, anything else
 * as an error. An operator's refused command reaches them as commandHandler's do.
 */
export function rotationHandler<Out>(
  observability: Observability,
  refused: (error: unknown) => boolean,
  run: (event: unknown) => Promise<Out>,
): StepHandler<unknown, Out> {
  const { logger, metrics } = observability;
  return chain<unknown, Out>(observability).handler(async (event) => {
    try {
      const output = await run(event);
      logger.info('rotation done', { output });
      metrics.addMetric('RotationDone', 'Count', 1);
      return output;
    } catch (error) {
      if (error instanceof AuthKitError) {
        metrics.addMetric('RotationRefused', 'Count', 1);
        logger.info('command refused', { code: error.code, ...error.data() });
        const refusal = new Error(error.detail);
        refusal.name = error.name;
        throw refusal;
      }
      if (refused(error)) {
        metrics.addMetric('RotationRefused', 'Count', 1);
        logger.warn('rotation refused', { reason: (error as Error).message });
      } else {
        metrics.addMetric('RotationFailed', 'Count', 1);
        logger.error('rotation failed', error as Error);
      }
      throw error;
    }
  });
}
