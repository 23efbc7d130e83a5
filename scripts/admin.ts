/**
 * The operator's command. Every command runs in one of the stack's functions, invoked with the
 * Lambda Invoke API: on AWS with the caller's credentials (`--stack NAME` finds the function's name
 * in CloudFormation), locally through the Lambda endpoint `npm start` serves (`--url`). Only the
 * endpoint differs. `keys` commands run in SigningKeyRotationFunction, the others in AdminFunction.
 */
import { parseArgs } from 'node:util';
import {
  type AdminCommand,
  type AdminResult,
  type Block,
  type DenylistEntry,
  type KeyCommand,
  type KeyCommandResult,
  normalizeIdentifier,
  type PublishedKey,
  parseExpiry,
} from '@authkit/core';
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

const USAGE = `usage: npm run admin -- <command> [--url URL | --stack NAME] [--json]
  denylist add <identifier> [--reason TEXT] [--expires 30d|12h]   deny it, and end its sessions
  denylist remove <identifier>                                  lift its entry and its lockout
  denylist list                                                 every entry standing now
  denylist why <identifier>                                     every rule that blocks it now
  sessions end <identifier>                                     end every session it has
  keys status                                                   the published signing keys; when the next rotation may run
  keys revoke <kid>                                             stop publishing a leaked key, and signing with it, now`;

const DEFAULT_URL = 'http://localhost:3000';
const ADMIN_FUNCTION = 'AdminFunction';
const ROTATION_FUNCTION = 'SigningKeyRotationFunction';

/** Bad arguments: exit 2. */
class UsageError extends Error {}
/** The command could not be done: exit 1. */
class Failure extends Error {}
/** `help`: the usage, exit 0. */
class Help extends Error {}

type Options = { url?: string; stack?: string; json: boolean };

type Command = AdminCommand | KeyCommand;
type Result = AdminResult | KeyCommandResult;

/** The command the arguments ask for, checked before anything is called. */
export function parseCommand(argv: string[]): { command: Command; options: Options } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { positionals, values } = parsed;
  const [group, verb, raw, ...rest] = positionals;
  if (group === 'help' || values.help) throw new Help();
  if (group === undefined) throw new UsageError('no command given');
  if (group === 'keys') return { command: keyCommand(verb, raw, rest, values), options: optionsOf(values) };
  const name = `${group ?? ''}-${verb ?? ''}` as AdminCommand['command'];
  const takesIdentifier = ['denylist-add', 'denylist-remove', 'denylist-why', 'sessions-end'].includes(name);
  if (!takesIdentifier && name !== 'denylist-list') {
    throw new UsageError(`unknown command "${positionals.slice(0, 2).join(' ')}"`);
  }
  if (rest.length > 0 || (!takesIdentifier && raw !== undefined)) {
    throw new UsageError(`unexpected argument "${rest[0] ?? raw}"`);
  }
  if (name !== 'denylist-add' && (values.reason !== undefined || values.expires !== undefined)) {
    throw new UsageError('--reason and --expires belong to denylist add');
  }
  const options = optionsOf(values);
  const command: AdminCommand = { command: name };
  if (takesIdentifier) {
    if (raw === undefined) throw new UsageError(`${group} ${verb} needs an identifier`);
    command.identifier = checked(() => normalizeIdentifier(raw).value, 'identifier');
  }
  if (values.reason !== undefined) command.reason = values.reason;
  if (values.expires !== undefined) {
    checked(() => parseExpiry(values.expires as string), '--expires');
    command.expires = values.expires;
  }
  return { command, options };
}

type Values = ReturnType<typeof parse>['values'];

function optionsOf(values: Values): Options {
  if (values.url !== undefined && values.stack !== undefined)
    throw new UsageError('give --url or --stack, not both');
  if (values.url !== undefined && !URL.canParse(values.url))
    throw new UsageError(`--url: not a URL: "${values.url}"`);
  return { url: values.url, stack: values.stack, json: values.json };
}

function keyCommand(
  verb: string | undefined,
  kid: string | undefined,
  rest: string[],
  values: Values,
): KeyCommand {
  if (values.reason !== undefined || values.expires !== undefined) {
    throw new UsageError('--reason and --expires belong to denylist add');
  }
  if (verb === 'status') {
    if (kid !== undefined) throw new UsageError(`unexpected argument "${kid}"`);
    return { command: 'keys-status' };
  }
  if (verb !== 'revoke') throw new UsageError(`unknown command "keys ${verb ?? ''}"`.trimEnd());
  if (kid === undefined) throw new UsageError('keys revoke needs the kid of the leaked key');
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return { command: 'keys-revoke', kid };
}

/**
 * A kid is a JWK thumbprint in base64url, so one in 64 starts with `-`, which parseArgs would take
 * for an option: the kid after `keys revoke` is a positional, whatever its first character.
 */
function kidAsPositional(argv: string[]): string[] {
  const [group, verb, kid, ...rest] = argv;
  if (group !== 'keys' || verb !== 'revoke' || kid === undefined || kid.startsWith('--')) return argv;
  return [group, verb, ...rest, '--', kid];
}

function parse(argv: string[]) {
  return parseArgs({
    args: kidAsPositional(argv),
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      stack: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      reason: { type: 'string' },
      expires: { type: 'string' },
    },
  });
}

function checked<T>(read: () => T, what: string): T {
  try {
    return read();
  } catch (error) {
    throw new UsageError(`${what}: ${(error as Error).message.replace(/^[a-z]+: /, '')}`);
  }
}

/** The Lambda client and the function's name: the stack's function `id`, or the local runtime's. */
async function target(
  id: string,
  options: Options,
): Promise<{ lambda: LambdaClient; name: string; where: string }> {
  if (options.stack !== undefined) {
    const stack = options.stack;
    const cloudFormation = new CloudFormationClient({});
    try {
      const { StackResourceDetail } = await cloudFormation.send(
        new DescribeStackResourceCommand({ StackName: stack, LogicalResourceId: id }),
      );
      const name = StackResourceDetail?.PhysicalResourceId;
      if (!name) throw new Error(`it has no ${id}`);
      return { lambda: new LambdaClient({}), name, where: `stack ${stack}` };
    } catch (error) {
      throw new Failure(`stack ${stack}: ${(error as Error).message}`);
    } finally {
      cloudFormation.destroy();
    }
  }
  const url = options.url ?? DEFAULT_URL;
  return {
    // The local runtime checks no signature; these only let the SDK sign without an AWS profile.
    lambda: new LambdaClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    }),
    name: id,
    where: url,
  };
}

async function invoke(command: Command, options: Options): Promise<Result> {
  const id = command.command.startsWith('keys-') ? ROTATION_FUNCTION : ADMIN_FUNCTION;
  const { lambda, name, where } = await target(id, options);
  try {
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(command)) }),
    );
    const text = new TextDecoder().decode(response.Payload ?? new Uint8Array());
    const payload = parsed(text);
    if (response.FunctionError || payload === undefined) {
      const { errorType, errorMessage } = (payload ?? {}) as { errorType?: string; errorMessage?: string };
      const reason = errorMessage ?? (text.split('\n')[0]?.slice(0, 300) || 'no answer');
      const what = id === ADMIN_FUNCTION ? 'the admin function' : 'the signing-key rotation function';
      throw new Failure(`${where}: ${what} failed: ${errorType ? `${errorType}: ` : ''}${reason}`);
    }
    return payload as Result;
  } catch (error) {
    if (error instanceof Failure) throw error;
    throw new Failure(`${where}: ${(error as Error).message || (error as Error).name}`);
  } finally {
    lambda.destroy();
  }
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const untilOf = (until: string | number | undefined) =>
  until === undefined ? 'until removed' : `until ${until}`;

function describeEntry(entry: DenylistEntry): string {
  const until = entry.expiresAt === undefined ? undefined : new Date(entry.expiresAt).toISOString();
  return `${entry.key}: ${entry.reason}, source ${entry.source}, since ${new Date(entry.deniedAt).toISOString()}, ${untilOf(until)}`;
}

function describeBlock({ rule, facts }: Block): string {
  if (rule === 'denylist') {
    const scope = String(facts.key).startsWith('domain#') ? ` (the whole domain, ${facts.key})` : '';
    return `${rule}: ${facts.reason}, source ${facts.source}, since ${facts.since}, ${untilOf(facts.until)}${scope}`;
  }
  return `${rule}: ${Object.entries(facts)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ')}`;
}

const describeKey = (key: PublishedKey) => `${key.kid}  generation ${key.generation}, ${key.role}`;

/** What a person reads. */
export function render(result: Result): string {
  switch (result.command) {
    case 'keys-status':
      return [
        `generation ${result.generation} signs since ${result.currentSince}; JWKS publishes:`,
        ...result.keys.map((key) => `  ${describeKey(key)}`),
        `the next rotation may run from ${result.nextRotationFrom}`,
      ].join('\n');
    case 'keys-revoke':
      return [
        `revoked ${describeKey(result.revoked)}; generation ${result.generation} signs now; JWKS publishes:`,
        ...result.keys.map((key) => `  ${describeKey(key)}`),
      ].join('\n');
    case 'denylist-add':
      return `${result.identifier} denylisted: ${describeEntry(result.entry)}; its sessions ended`;
    case 'denylist-remove':
      return result.removed
        ? `${result.identifier} removed from the denylist (was ${describeEntry(result.removed)}); its lockout lifted`
        : `${result.identifier} had no denylist entry; its lockout lifted`;
    case 'denylist-list':
      return result.entries.length === 0
        ? 'the denylist is empty'
        : result.entries.map(describeEntry).join('\n');
    case 'denylist-why':
      return result.blocks.length === 0
        ? `${result.identifier} is not blocked`
        : [
            `${result.identifier} is blocked:`,
            ...result.blocks.map((block) => `  ${describeBlock(block)}`),
          ].join('\n');
    case 'sessions-end':
      return `${result.identifier}: every session ended`;
  }
}

/** Runs the command line; the exit code is 0, 1 (failed) or 2 (bad arguments). */
export async function main(argv: string[]): Promise<{ code: number; out?: string; error?: string }> {
  try {
    const { command, options } = parseCommand(argv);
    const result = await invoke(command, options);
    return { code: 0, out: options.json ? JSON.stringify(result, null, 2) : render(result) };
  } catch (error) {
    if (error instanceof Help) return { code: 0, out: USAGE };
    if (error instanceof UsageError) return { code: 2, error: `${error.message} (npm run admin -- help)` };
    if (error instanceof Failure) return { code: 1, error: error.message };
    return { code: 1, error: `failed: ${(error as Error).message}` };
  }
}

if (import.meta.main) {
  const { code, out, error } = await main(process.argv.slice(2));
  if (out !== undefined) console.log(out);
  if (error !== undefined) console.error(error);
  process.exitCode = code;
}
