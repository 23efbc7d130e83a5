/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`, RequestResponse) on the
 * runtime's port, for callers of a function that has no route, such as `npm run admin`. A function
 * is named by its logical id in template.yaml (its function name here) or an ARN ending in it. A
 * handler's error answers as Lambda's does: 200, `X-Amz-Function-Error: Unhandled`, and the
 * `{errorType, errorMessage}` payload.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type LocalLambda, lambdaErrorPayload } from './lambda.ts';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** True when it answered: the path is the Invoke API's. */
export async function handleLambdaInvoke(
  lambda: LocalLambda,
  pathname: string,
  body: Buffer,
  response: ServerResponse,
): Promise<boolean> {
  const match = INVOKE_PATH.exec(pathname);
  if (!match) return false;
  const name =
    decodeURIComponent(match[1] as string)
      .split(':function:')
      .pop()
      ?.split(':')[0] ?? '';
  const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
      ...headers,
    });
    response.end(JSON.stringify(payload));
  };
  if (!lambda.has(name)) {
    send(
      404,
      { Type: 'User', message: `Function not found: ${name}` },
      { 'x-amzn-errortype': 'ResourceNotFoundException' },
    );
    return true;
  }
  let event: unknown;
  try {
    event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    send(
      400,
      { Type: 'User', message: 'Could not parse request body into json' },
      {
        'x-amzn-errortype': 'InvalidRequestContentException',
      },
    );
    return true;
  }
  try {
    send(200, (await lambda.invoke(name, event)) ?? null, { 'x-amz-executed-version': '$LATEST' });
  } catch (error) {
    const { errorType, errorMessage } = lambdaErrorPayload(error);
    send(
      200,
      { errorType, errorMessage },
      { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
    );
  }
  return true;
}
