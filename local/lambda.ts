/**
 * Invokes a function's handler module in this process, with a Lambda-shaped context. Modules are
 * imported once, after the environment is set, exactly as a warm Lambda would keep them.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { isolatedEntryUrl } from './isolation.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalFunction } from './template.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;
type FromEnvironment = (env: Record<string, string | undefined>) => Promise<Handler>;

/**
 * What the runtime gives every function besides template.yaml's variables: the AWS SDK's region,
 * credentials and endpoints, and the captcha siteverify endpoint, which the tests point at a fake.
 */
const endpointVariables = (env: Record<string, string | undefined>) =>
  Object.fromEntries(
    Object.entries(env).filter(([name]) => name.startsWith('AWS_') || name === 'CAPTCHA_VERIFY_URL'),
  );

export class LocalLambda {
  readonly #functions: Map<string, LocalFunction>;
  readonly #handlers = new Map<string, Promise<Handler>>();

  readonly #isolate: boolean;
  readonly #environment: (functionId: string) => Record<string, string>;

  /**
   * `isolate` gives each function its own module instances, as separate Lambda sandboxes have;
   * `environment` adds variables to one function's own.
   */
  constructor(
    functions: LocalFunction[],
    options: {
      isolate?: boolean;
      environment?: ((functionId: string) => Record<string, string>) | undefined;
    } = {},
  ) {
    this.#functions = new Map(functions.map((fn) => [fn.id, fn]));
    this.#isolate = options.isolate ?? false;
    this.#environment = options.environment ?? (() => ({}));
  }

  has(functionId: string): boolean {
    return this.#functions.has(functionId);
  }

  async invoke(functionId: string, event: unknown): Promise<unknown> {
    const fn = this.#functions.get(functionId);
    if (!fn) throw new Error(`No function ${functionId} in template.yaml`);
    const handler = await this.#load(fn);
    return handler(event, contextFor(fn));
  }

  /** Loads every handler now, one by one, so the first request does not pay for cold starts. */
  async warm(): Promise<void> {
    for (const fn of this.#functions.values()) await this.#load(fn);
  }

  #load(fn: LocalFunction): Promise<Handler> {
    let handler = this.#handlers.get(fn.id);
    if (!handler) {
      const url = pathToFileURL(fn.entryPoint).href;
      handler = import(this.#isolate ? isolatedEntryUrl(url, fn.id) : url).then(
        (module: Record<string, unknown>) => {
          const exported = module[fn.exportName] as Handler & { fromEnvironment?: FromEnvironment };
          if (typeof exported !== 'function') throw new Error(`${fn.entryPoint} exports no ${fn.exportName}`);
          if (!exported.fromEnvironment)
            throw new Error(`${fn.entryPoint}: ${fn.exportName} is not deployed()`);
          // As on AWS, a function sees only the variables template.yaml gives it.
          return exported.fromEnvironment({
            ...endpointVariables(process.env),
            ...fn.environment,
            ...this.#environment(fn.id),
          });
        },
      );
      this.#handlers.set(fn.id, handler);
    }
    return handler;
  }
}

function contextFor(fn: LocalFunction): Context {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.id,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${fn.id}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.id}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** What Lambda reports for a handler's error: Step Functions sees `errorType` as the error name. */
export function lambdaErrorPayload(error: unknown): {
  errorType: string;
  errorMessage: string;
  trace: string[];
} {
  const err = error instanceof Error ? error : new Error(String(error));
  return { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
}
