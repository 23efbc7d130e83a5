/** Core services wired to the real local parts (DynamoDB Local, SES local) with a controllable clock. */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import {
  DynamoChallengeStore,
  DynamoCounterStore,
  DynamoDenylistStore,
  DynamoSessionStore,
  DynamoUserStore,
  SesMailer,
} from '../../layers/core/src/adapters/index.ts';
import type { ChallengeDeps } from '../../layers/core/src/challenge.ts';
import type { Clock, Mailer, SecretSource, SmsSender } from '../../layers/core/src/ports.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import { documentClient, sesEndpoint } from './stack.ts';

export const TABLES = {
  challenges: 'ChallengesTable',
  counters: 'CountersTable',
  denylist: 'DenylistTable',
  users: 'UsersTable',
  sessions: 'SessionsTable',
} as const;

export const CODE_CONFIG = {
  length: 6,
  ttlSeconds: 300,
  maxAttempts: 5,
  resendCooldownSeconds: 30,
  maxSends: 5,
  identifierFailureLimit: 100,
};

export const TEST_PEPPER = 'integration-test-pepper-'.padEnd(40, 'x');

/** A clock that stands still until told to move. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = Date.now()) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(seconds: number): void {
    this.#now += seconds * 1000;
  }
}

export function sesMailer(): SesMailer {
  const ses = new SESv2Client({
    endpoint: sesEndpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return new SesMailer(ses, { from: 'login@example.com', configurationSet: '' });
}

const noSms: SmsSender = {
  send: () => Promise.reject(new Error('these specs send email only')),
};

export function challengeDeps(
  overrides: { clock?: Clock; mailer?: Mailer; pepper?: SecretSource } = {},
): ChallengeDeps {
  const db = documentClient();
  return {
    store: new DynamoChallengeStore(db, TABLES.challenges),
    mailer: overrides.mailer ?? sesMailer(),
    sms: noSms,
    clock: overrides.clock ?? new ManualClock(),
    random: systemRandom,
    pepper: overrides.pepper ?? (async () => TEST_PEPPER),
    config: { code: CODE_CONFIG, productName: 'AuthKit' },
  };
}

export const stores = () => {
  const db = documentClient();
  return {
    db,
    users: new DynamoUserStore(db, TABLES.users),
    sessions: new DynamoSessionStore(db, TABLES.sessions),
    counters: new DynamoCounterStore(db, TABLES.counters),
    denylist: (clock: Clock) => new DynamoDenylistStore(db, TABLES.denylist, clock),
  };
};
