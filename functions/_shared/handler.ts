/**
 * The middy chains. Every function gets Powertools logging (with the Lambda context), tracing and
 * metrics; HTTP functions also get the problem+json contract. Responses are never captured in
 * traces: they hold tokens.
 */

import { type AccessResult, AuthKitError, toWorkflowError } from '@authkit/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
  Context,
} from 'aws-lambda';
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

export type TokenAuthorizer = (
  event: APIGatewayTokenAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

/**
 * RFC 6750's `Bearer <token>`, the token in JWS compact form's alphabet. API Gateway's
 * ValidationExpression (template.yaml) refuses other shapes before the function runs; this is the
 * same rule for a caller that reaches the function another way.
 */
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/**
 * A REST API TOKEN authorizer. Its answers are API Gateway's contract: a policy allowing exactly the
 * method called, with the caller as context; or the error `Unauthorized`, which API Gateway answers
 * with its UNAUTHORIZED response (401). Refusals are counted by reason and logged without the token.
 * Anything else thrown (a store that cannot be reached) fails the request with a 500, never a 401
 * that would send a signed-in user back to sign in.
 */
export function tokenAuthorizerHandler(
  observability: Observability,
  authorize: (token: string) => Promise<AccessResult>,
): TokenAuthorizer {
  const { logger, metrics } = observability;
  return chain<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>(observability).handler(
    async (event) => {
      const token = BEARER.exec(event.authorizationToken ?? '')?.[1];
      let result: AccessResult;
      try {
        result = token ? await authorize(token) : { ok: false, reason: 'malformed' };
      } catch (error) {
        metrics.addMetric('AuthorizerFailed', 'Count', 1);
        logger.error('authorizer failed; API Gateway answers 500', error as Error);
        throw error;
      }
      if (!result.ok) {
        // In all, and by reason on its own (so the reason does not spill onto the other metrics).
        metrics.addMetric('Unauthorized', 'Count', 1);
        const byReason = metrics.singleMetric();
        byReason.addDimension('reason', result.reason);
        byReason.addMetric('Unauthorized', 'Count', 1);
        logger.info('access token refused', { reason: result.reason });
        throw new Error('Unauthorized');
      }
      metrics.addMetric('Authorized', 'Count', 1);
      const { caller } = result;
      return {
        principalId: caller.userId,
        policyDocument: {
          Version: '2012-10-17',
          // The method called, not the whole API: with result caching off (template.yaml), every
          // request is authorized on its own.
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
        },
        context: { ...caller },
      };
    },
  );
}
