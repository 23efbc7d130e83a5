import type { Context } from 'aws-lambda';
import { type AwsRoot, awsRoot } from './root.ts';

/**
 * A function's Lambda entry point. Importing it builds nothing: the first invocation of a cold
 * start has the composition root build the function's dependencies from the environment, and the
 * factory the handler; later invocations reuse it. A build that failed (a bad setting) is tried
 * again, and fails again naming the variable, rather than leaving a broken handler behind.
 */
export function deployed<Deps, Event, Result>(
  select: (root: AwsRoot) => Promise<Deps> | Deps,
  factory: (deps: Deps) => Handler<Event, Result>,
): Deployed<Event, Result> {
  const fromEnvironment = async (env: Env) => factory(await select(awsRoot(env)));
  let built: Promise<Handler<Event, Result>> | undefined;
  const handler = async (event: Event, context: Context) => {
    built ??= fromEnvironment(process.env).catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return (await built)(event, context);
  };
  return Object.assign(handler, { fromEnvironment });
}

type Env = Record<string, string | undefined>;
export type Handler<Event, Result> = (event: Event, context: Context) => Promise<Result>;

/**
 * What Lambda calls, built from `process.env`; `fromEnvironment` builds the same handler from the
 * environment given, as the local runtime does for each function and tests do.
 */
export type Deployed<Event, Result> = Handler<Event, Result> & {
  fromEnvironment: (env: Env) => Promise<Handler<Event, Result>>;
};
