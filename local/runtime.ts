/**
 * The whole product on one machine: template.yaml's routes served over HTTP by the same handler
 * modules, the real ASL run in-process, DynamoDB Local and aws-ses-v2-local as the real parts.
 * Only endpoint configuration differs from AWS.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalApiGateway } from './api-gateway.ts';
import { LOCAL_APP_PATH, renderLocalApp } from './app-page.ts';
import { handleSecretsManager, handleSns, handleStepFunctions } from './aws-endpoints.ts';
import { createTables, startDynamoDbLocal } from './dynamodb-local.ts';
import { handleEventBridge } from './event-bridge-api.ts';
import { LocalEventBus, unguardedTargets } from './event-bus.ts';
import { renderInbox } from './inbox-page.ts';
import { LocalLambda } from './lambda.ts';
import { handleLambdaInvoke } from './lambda-invoke.ts';
import { HttpEmailSource, Outbox } from './outbox.ts';
import { type LocalSecretsManager, localSecrets } from './secrets-manager.ts';
import { handleSesV2, SESV2_PATH } from './ses-events.ts';
import { startSesLocal } from './ses-local.ts';
import { handleSmsVoice } from './sms-voice.ts';
import { LocalStepFunctions } from './step-functions.ts';
import { LOCAL_REGION, LocalTemplate } from './template.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_REQUEST_BYTES = 10 * 1024 * 1024; // API Gateway's own payload limit

export type LocalRuntimeOptions = {
  port?: number;
  host?: string;
  /** Parameter overrides for template.yaml, as `sam deploy --parameter-overrides` would give. */
  parameters?: Record<string, string>;
  /**
   * Values for secrets the template references by name (e.g. CaptchaSecretName's secret), or for
   * its own secrets by logical id; those not given are random.
   */
  secrets?: Record<string, string>;
  /** Reuse running emulators (tests share one DynamoDB Local); started here when absent. */
  dynamodbEndpoint?: string;
  sesEndpoint?: string;
  /**
   * One module instance per function, as on AWS (see isolation.ts). Needs Node's own loader, so
   * `npm start` turns it on; under jest, whose module system replaces Node's, it stays off.
   */
  isolateFunctions?: boolean;
  /** Variables added to one function's environment, e.g. an endpoint that records its AWS calls. */
  functionEnvironment?: (functionId: string) => Record<string, string>;
  /** A YAML file of Resources added to template.yaml's, e.g. a test's fixture functions and rules. */
  templateOverlay?: string;
};

export type LocalRuntime = {
  url: string;
  dynamodbEndpoint: string;
  sesEndpoint: string;
  outbox: Outbox;
  lambda: LocalLambda;
  /** The default event bus: template.yaml's EventBridge rules, `settled()`, dead letters. */
  events: LocalEventBus;
  /** What the local Secrets Manager endpoint serves; `put` gives a secret a new value. */
  secrets: LocalSecretsManager;
  close: () => Promise<void>;
};

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  // Checked before anything starts, so a missing --secret stops the runtime with nothing to clean up.
  const probe = new LocalTemplate(REPO_ROOT, {
    parameters: options.parameters,
    overlay: options.templateOverlay,
  });
  const secrets = localSecrets(probe, options.secrets);
  for (const fn of probe.functions()) secrets.requireEvery(fn.environment);
  const stops: (() => unknown)[] = [];
  const dynamodb = options.dynamodbEndpoint ? undefined : await startDynamoDbLocal();
  if (dynamodb) stops.push(dynamodb.stop);
  const ses = options.sesEndpoint ? undefined : await startSesLocal();
  if (ses) stops.push(ses.stop);
  const dynamodbEndpoint = options.dynamodbEndpoint ?? (dynamodb?.endpoint as string);
  const sesEndpoint = options.sesEndpoint ?? (ses?.endpoint as string);

  let dispatch: (request: IncomingMessage, response: ServerResponse, body: Buffer) => Promise<void> = async (
    _,
    response,
  ) => {
    response.writeHead(503).end();
  };
  const server = createServer((request, response) => {
    readBody(request)
      .then((body) => dispatch(request, response, body))
      .catch((error: unknown) => {
        console.error('local runtime: request failed', error);
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: 'Internal server error' }));
      });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;
  stops.unshift(
    () => new Promise((resolve) => server.close(resolve)),
    () => server.closeAllConnections(),
  );

  // Magic links open this runtime and may continue to its stand-in app page (/_local/app).
  const template = new LocalTemplate(REPO_ROOT, {
    parameters: {
      TokenIssuer: url,
      MagicLinkBaseUrl: url,
      MagicLinkRedirectUris: `${url}${LOCAL_APP_PATH}`,
      ...options.parameters,
    },
    overlay: options.templateOverlay,
  });

  useFunctionEnvironment(template, {
    dynamodb: dynamodbEndpoint,
    // Through the runtime, which turns sent mail into SES's events (ses-events.ts).
    ses: `http://127.0.0.1:${port}${SESV2_PATH}`,
    eventBridge: `http://127.0.0.1:${port}/_aws/events`,
    smsVoice: `http://127.0.0.1:${port}/_aws/sms-voice`,
    sfn: `http://127.0.0.1:${port}/_aws/sfn`,
    sns: `http://127.0.0.1:${port}/_aws/sns`,
    secretsManager: `http://127.0.0.1:${port}/_aws/secretsmanager`,
  });

  await createTables(dynamodbEndpoint, template);
  const lambda = new LocalLambda(template.functions(), {
    isolate: options.isolateFunctions ?? false,
    environment: options.functionEnvironment,
  });
  await lambda.warm();
  // RotateSecret runs the secret's rotation function (its ARN ends in the function's logical id).
  secrets.useRotationFunctions((functionArn, event) =>
    lambda.invoke(functionArn.slice(functionArn.lastIndexOf(':') + 1), event),
  );
  const stepFunctions = new LocalStepFunctions(template.stateMachines(), lambda);
  const api = new LocalApiGateway(
    template.routes(),
    lambda,
    String(template.resolve({ Ref: 'StageName' })),
    (apiId) => template.gatewayResponses(apiId),
  );
  const outbox = new Outbox(ses?.emails ?? new HttpEmailSource(sesEndpoint));
  const events = new LocalEventBus(template.eventRules(), lambda, (id) => template.asyncConfig(id));
  for (const functionId of unguardedTargets(template.eventRules(), (id) => template.asyncConfig(id))) {
    console.warn(
      `local runtime: ${functionId} has EventBridge rules but no DeadLetterQueue or OnFailure destination: an event its handler fails on is dropped, here as on AWS`,
    );
  }
  const sesDestinations = template.sesEventBridgeDestinations();
  // Deliveries still under way would write to emulators that are about to stop.
  stops.unshift(() => events.settled());

  dispatch = async (request, response, body) => {
    const { pathname, searchParams } = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    // The emulated AWS APIs (secrets, the admin function) and the inbox answer this machine only,
    // whatever address the runtime listens on: on AWS they are behind IAM, not on the API.
    if (/^\/(_aws|_local|2015-03-31)(\/|$)/.test(pathname) && !isLoopback(request.socket.remoteAddress)) {
      response.writeHead(403, { 'content-type': 'text/plain' });
      return void response.end(`${pathname} answers clients on this machine only`);
    }
    // The AWS JSON protocols name the operation in this header.
    const target = request.headers['x-amz-target'] as string | undefined;
    if (method === 'POST' && pathname.startsWith('/_aws/sfn'))
      return handleStepFunctions(stepFunctions, target, body, response);
    if (method === 'POST' && pathname.startsWith('/_aws/sns')) return handleSns(outbox, body, response);
    if (method === 'POST' && (await handleLambdaInvoke(lambda, pathname, body, response))) return;
    if (method === 'POST' && pathname.startsWith('/_aws/secretsmanager'))
      return handleSecretsManager(secrets, target, body, response);
    // The feedback loop: events, SES's and End User Messaging's events, dead letters.
    if (method === 'POST' && pathname.startsWith('/_aws/events'))
      return handleEventBridge(events, target, body, response);
    if (method === 'POST' && pathname.startsWith('/_aws/sms-voice'))
      return handleSmsVoice({ bus: events, outbox }, target, body, response);
    if (pathname.startsWith(SESV2_PATH))
      return handleSesV2(
        { sesEndpoint, bus: events, destinations: sesDestinations },
        request,
        body,
        response,
      );
    if (method === 'GET' && pathname === '/_local/dead-letters') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void response.end(JSON.stringify({ deadLetters: events.deadLetters() }));
    }
    if (method === 'GET' && pathname === '/_local/messages') {
      const limit = Math.min(Number(searchParams.get('limit') ?? 100) || 100, 1000);
      const messages = await outbox.list({ to: searchParams.get('to') ?? undefined, limit });
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void response.end(JSON.stringify({ messages }));
    }
    if (method === 'GET' && (pathname === '/_local/' || pathname === '/_local')) {
      const to = searchParams.get('to') || undefined;
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return void response.end(renderInbox(await outbox.list({ to, limit: 200 }), to));
    }
    if (method === 'GET' && pathname === LOCAL_APP_PATH) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return void response.end(renderLocalApp(`${url}${LOCAL_APP_PATH}`));
    }
    const found = api.match(method, pathname);
    if (found === undefined || found === 'method') {
      const status = found === 'method' ? 405 : 404;
      const requestId = randomUUID();
      response.writeHead(status, { 'content-type': 'application/problem+json', 'x-request-id': requestId });
      return void response.end(
        JSON.stringify({
          type: `urn:authkit:problem:${status === 404 ? 'not_found' : 'method_not_allowed'}`,
          title: status === 404 ? 'Not Found' : 'Method Not Allowed',
          status,
          detail: `${method} ${pathname} is not a route of template.yaml`,
          code: status === 404 ? 'not_found' : 'method_not_allowed',
          requestId,
        }),
      );
    }
    return api.handle(request, response, body, found);
  };

  return {
    url,
    dynamodbEndpoint,
    sesEndpoint,
    outbox,
    lambda,
    events,
    secrets,
    close: async () => {
      for (const stop of stops) await stop();
    },
  };
}

/**
 * Sets what the functions read at cold start: template.yaml's environment, and AWS clients pointed
 * at the local endpoints with throwaway credentials. Only endpoint configuration differs from AWS.
 */
export function useFunctionEnvironment(
  template: LocalTemplate,
  endpoints: {
    dynamodb: string;
    ses: string;
    sfn?: string;
    sns?: string;
    secretsManager?: string;
    eventBridge?: string;
    smsVoice?: string;
  },
): void {
  Object.assign(process.env, template.sharedEnvironment(), {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SESV2: endpoints.ses,
    ...(endpoints.sfn ? { AWS_ENDPOINT_URL_SFN: endpoints.sfn } : {}),
    ...(endpoints.sns ? { AWS_ENDPOINT_URL_SNS: endpoints.sns } : {}),
    ...(endpoints.secretsManager ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager } : {}),
    ...(endpoints.eventBridge ? { AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridge } : {}),
    ...(endpoints.smsVoice ? { AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: endpoints.smsVoice } : {}),
    // CloudWatch metrics have no local sink; EMF lines on stdout would only bury the logs.
    POWERTOOLS_METRICS_DISABLED: 'true',
    // Off Lambda the tracer is disabled, but the X-Ray SDK it loads would still install async hooks
    // (cls-hooked) that tax every promise: ~27 % of the handlers' CPU (docs/performance.md).
    AWS_XRAY_MANUAL_MODE: '1',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (/^(::ffff:)?127\./.test(address) || address === '::1');
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new Error('request body over API Gateway limit');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
