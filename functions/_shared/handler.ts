/**
 * The middy chains. Every function gets Powertools logging (with the Lambda context), tracing and
 * metrics; HTTP functions also get the problem+json contract. Responses are never captured in
 * traces: they hold tokens.
 */

import { AuthKitError } from '@authkit/core';
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
import { logger, metrics, tracer } from './powertools.ts';

export function httpHandler(route: (request: HttpRequest) => Promise<HttpResult>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const requestId = requestIdOf(event);
      // The id the client sees in x-request-id, on every log line of the request.
      logger.setCorrelationId(requestId);
      try {
        const result = await route(parseRequest(event));
        metrics.addMetric(`Http${Math.floor(result.status / 100)}xx`, 'Count', 1);
        return toResponse(result, requestId);
      } catch (error) {
        if (error instanceof AuthKitError && error.expose) {
          logger.info('request refused', { code: error.code, status: error.status });
        } else {
          logger.error('request failed', error as Error);
        }
        const response = problemResponse(error, requestId);
        metrics.addMetric(`Http${Math.floor(response.statusCode / 100)}xx`, 'Count', 1);
        return response;
      }
    });
}

/** Counts each outcome under its error name (the workflow's contract), e.g. `RateLimited`. */
export function stepHandler<In, Out>(step: (input: In) => Promise<Out>) {
  return middy<In, Out, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .handler(async (input) => {
      try {
        const output = await step(input);
        metrics.addMetric('StepPassed', 'Count', 1);
        return output;
      } catch (error) {
        metrics.addMetric(error instanceof AuthKitError ? error.name : 'StepCrashed', 'Count', 1);
        throw error;
      }
    });
}
