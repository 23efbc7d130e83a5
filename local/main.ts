/**
 * `npm start`: the whole product locally. Options: `--port N` (or PORT), `--param Name=Value`
 * (a template.yaml parameter override) and `--secret Name=Value` (the value the local Secrets
 * Manager serves for a secret the template names, e.g. the captcha secret); both repeatable.
 */
import { parseArgs } from 'node:util';
import { startLocalRuntime } from './runtime.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    param: { type: 'string', multiple: true },
    secret: { type: 'string', multiple: true },
  },
});
const pairs = (flag: string, list: string[] = []) =>
  Object.fromEntries(
    list.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--${flag} takes Name=Value, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
const started = Date.now();
const runtime = await startLocalRuntime({
  port: Number(values.port ?? process.env.PORT ?? 3000),
  parameters: pairs('param', values.param),
  secrets: pairs('secret', values.secret),
  isolateFunctions: true,
});
const { url } = runtime;

console.log(`
AuthKit is running locally at ${url} (ready in ${Date.now() - started} ms)

  Inbox (every email and SMS sent):     ${url}/_local/
  Sign in by magic link, in a browser:  ${url}/_local/app
  Messages as JSON:                     ${url}/_local/messages?to=ada@example.com
  Token verification keys:              ${url}/.well-known/jwks.json
  Events that failed their handler:     ${url}/_local/dead-letters

Delivery feedback: bounce@simulator.amazonses.com bounces, complaint@simulator.amazonses.com
complains, +14254147167 fails (SNS and End User Messaging); see the README.

Sign in:
  curl -s ${url}/v1/auth/start -H 'content-type: application/json' -d '{"identifier":"ada@example.com"}'
  curl -s '${url}/_local/messages?to=ada@example.com'
  curl -s ${url}/v1/auth/verify -H 'content-type: application/json' -d '{"challengeId":"<challengeId>","code":"<code>"}'

Operator commands (docs/runbook.md) against this instance:
  npm run admin -- denylist why ada@example.com --url ${url}

Press Ctrl+C to stop.`);

const stop = async () => {
  await runtime.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
