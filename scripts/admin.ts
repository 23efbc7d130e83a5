/**
 * Operator commands on one identifier, against a deployed stack (or `npm start`'s DynamoDB Local
 * with AWS_ENDPOINT_URL_DYNAMODB). Table names come from the same variables the functions read:
 *
 *   npm run admin -- deny <identifier> [--days N] [--reason TEXT]   denylist it and end its sessions
 *   npm run admin -- allow <identifier>                             lift the entry and its lockout
 *   npm run admin -- end-sessions <identifier>                      end every session it has
 */
import { parseArgs } from 'node:util';
import {
  type AdminDeps,
  allowIdentifier,
  denyIdentifier,
  endAllSessions,
  normalizeIdentifier,
  systemClock,
} from '@authkit/core';
import {
  DynamoDBClient,
  DynamoDBDocumentClient,
  DynamoDenylistStore,
  DynamoLockStore,
  DynamoSessionStore,
} from '@authkit/core/adapters/dynamodb';

const USAGE = 'usage: npm run admin -- deny|allow|end-sessions <identifier> [--days N] [--reason TEXT]';

function table(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required (see docs/runbook.md, "Find the stack's resources")`);
  return value;
}

export async function main(argv: string[]): Promise<string> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { days: { type: 'string' }, reason: { type: 'string', default: 'operator' } },
  });
  const [command, raw] = positionals;
  if (!command || !raw || positionals.length > 2) throw new Error(USAGE);
  const identifier = normalizeIdentifier(raw);
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && !(Number.isInteger(days) && days > 0))
    throw new Error('--days must be a whole number above 0');
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const deps: AdminDeps = {
    denylist: new DynamoDenylistStore(db, table('DENYLIST_TABLE'), systemClock),
    sessions: new DynamoSessionStore(db, table('SESSIONS_TABLE')),
    locks: new DynamoLockStore(db, table('COUNTERS_TABLE')),
    clock: systemClock,
  };
  switch (command) {
    case 'deny':
      await denyIdentifier(deps, identifier, { reason: values.reason, days });
      return `${identifier.value} denied${days ? ` for ${days} days` : ''}; its sessions ended`;
    case 'allow':
      await allowIdentifier(deps, identifier);
      return `${identifier.value} allowed; its lockout lifted`;
    case 'end-sessions':
      await endAllSessions(deps, identifier);
      return `${identifier.value}: every session ended`;
    default:
      throw new Error(USAGE);
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (done) => console.log(done),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
