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
  factory: (deps: Deps) => (event: Event, context: Context) => Promise<Result>,
): (event: Event, context: Context) => Promise<Result> {
  let built: Promise<(event: Event, context: Context) => Promise<Result>> | undefined;
  return async (event, context) => {
    built ??= Promise.resolve(awsRoot(process.env))
      .then(select)
      .then(factory)
      .catch((error: unknown) => {
        built = undefined;
        throw error;
      });
    return (await built)(event, context);
  };
}
