/** Core services wired to the real local parts (DynamoDB Local, SES local) with a controllable clock. */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import {
  DynamoAuditLog,
  DynamoChallengeStore,
  DynamoCounterStore,
  DynamoDenylistStore,
  DynamoDeviceStore,
  DynamoLockStore,
  DynamoSessionStore,
  DynamoSmsBreakerStore,
  DynamoUserStore,
  SesMailer,
} from '../../layers/core/src/adapters/index.ts';
import type { AccountAuditDeps } from '../../layers/core/src/audit.ts';
import { type ChallengeDeps, sendChallenge } from '../../layers/core/src/challenge.ts';
import type { Config } from '../../layers/core/src/config.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type { LockoutNotifier } from '../../layers/core/src/lockout.ts';
import type {
  AppEvent,
  BreakerScope,
  BreakerTrip,
  Clock,
  EventPublisher,
  Mailer,
  SecretSource,
  SmsSender,
  Source,
} from '../../layers/core/src/ports.ts';
import { generateId } from '../../layers/core/src/secrets.ts';
import type { VerifyDeps } from '../../layers/core/src/sign-in.ts';
import type { SmsBreakerConfig, SmsSendWatch } from '../../layers/core/src/sms-breaker.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import type { ChallengeWorkflow } from '../../layers/core/src/workflow.ts';
import { codeIn, documentClient, emailsTo, sesEndpoint } from './stack.ts';

export const TABLES = {
  challenges: 'ChallengesTable',
  counters: 'CountersTable',
  denylist: 'DenylistTable',
  users: 'UsersTable',
  sessions: 'SessionsTable',
  audit: 'AuditTable',
  accounts: 'AccountsTable',
} as const;

export const CODE_CONFIG = {
  length: 6,
  ttlSeconds: 300,
  maxAttempts: 5,
  resendCooldownSeconds: 30,
  maxSends: 5,
};

/** Budgets no spec reaches unless it lowers one. */
export const GENEROUS_BUDGETS: Config['rateLimit'] = {
  windowSeconds: 3600,
  perIdentifier: 1000,
  perIp: 1e6,
  perNetwork: 1e6,
  perPhonePrefix: 1e6,
  perCountry: 1e6,
  global: 1e9,
  perAsn: 1e6,
};

export const LOCKOUT: Config['lockout'] = {
  sourceFailures: 10,
  identifierFailureLimit: 100,
  blockSeconds: 900,
};

/** A client somewhere on the internet. */
export const SOURCE = { ip: '198.51.100.7' };

export const TEST_PEPPER = 'integration-test-pepper-'.padEnd(40, 'x');

/** The SMS breaker's defaults (settings.ts): no spec trips it unless it lowers one. */
export const SMS_BREAKER: SmsBreakerConfig = {
  windowSeconds: 3600,
  minSends: 100,
  minConversionPercent: 20,
  coolOffSeconds: 3600,
};

/** The EventPublisher port, in memory: the events published, in order. */
export class RecordingPublisher implements EventPublisher {
  readonly published: AppEvent[] = [];
  async publish(events: AppEvent[]): Promise<void> {
    this.published.push(...events);
  }
}

/** The SMS breaker as the send step wires it, its trips and warnings recorded. */
export function smsBreakerWatch(
  clock: Clock,
  config: Partial<SmsBreakerConfig> = {},
): SmsSendWatch & { events: RecordingPublisher; trips: string[]; warnings: string[] } {
  const trips: string[] = [];
  const warnings: string[] = [];
  return {
    store: new DynamoSmsBreakerStore(documentClient(), TABLES.counters),
    clock,
    config: { ...SMS_BREAKER, ...config },
    events: new RecordingPublisher(),
    tripped: (scope) => {
      trips.push(scope);
    },
    trips,
    warn: (what) => {
      warnings.push(what);
    },
    warnings,
  };
}

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

const HOUR_MS = 3_600_000;

/**
 * A clock at the start of an hour, `daysAhead` days on: a spec's few minutes never cross a fixed
 * budget window of up to an hour, as a clock started at an arbitrary moment may (a spec run at
 * 22:59 would see its budget reset), and other days' windows are other specs' counters.
 */
export const atWindowStart = (daysAhead = 0): ManualClock =>
  new ManualClock(Math.ceil(Date.now() / HOUR_MS) * HOUR_MS + daysAhead * 24 * HOUR_MS);

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
  overrides: {
    clock?: Clock;
    mailer?: Mailer;
    sms?: SmsSender;
    pepper?: SecretSource;
    rateLimit?: Partial<Config['rateLimit']>;
    smsBreaker?: SmsSendWatch;
  } = {},
): ChallengeDeps {
  const db = documentClient();
  const clock = overrides.clock ?? new ManualClock();
  return {
    store: new DynamoChallengeStore(db, TABLES.challenges, TABLES.counters),
    mailer: overrides.mailer ?? sesMailer(),
    sms: overrides.sms ?? noSms,
    clock,
    random: systemRandom,
    pepper: overrides.pepper ?? (async () => TEST_PEPPER),
    config: {
      code: CODE_CONFIG,
      product: { name: 'AuthKit' },
      rateLimit: { ...GENEROUS_BUDGETS, ...overrides.rateLimit },
      magicLinkOrigin: { baseUrl: 'https://auth.test' },
    },
    smsBreaker: overrides.smsBreaker ?? smsBreakerWatch(clock),
  };
}

/** The key audit subjects are made with in the specs. */
export const AUDIT_KEY: SecretSource = async () => 'audit-key-for-the-specs'.padEnd(40, 'k');

/** The account's audit trail in DynamoDB Local, and the writes that failed (by error name). */
export function accountAudit(
  clock: Clock,
  table: string = TABLES.audit,
): AccountAuditDeps & { auditWarnings: string[] } {
  const auditWarnings: string[] = [];
  return {
    audit: new DynamoAuditLog(documentClient(), table, 30),
    auditKey: AUDIT_KEY,
    clock,
    warn: (error) => {
      auditWarnings.push((error as Error).name);
    },
    auditWarnings,
  };
}

/** What verify needs besides the challenge: the lockout's locks, the denylist, and the notices it sent. */
export function verifyDeps(
  deps: ChallengeDeps,
  overrides: { lockout?: Partial<Config['lockout']>; captcha?: boolean; auditTable?: string } = {},
): VerifyDeps & { notices: Parameters<LockoutNotifier>[0][]; warnings: string[]; auditWarnings: string[] } {
  const db = documentClient();
  const notices: Parameters<LockoutNotifier>[0][] = [];
  const warnings: string[] = [];
  const audit = accountAudit(deps.clock, overrides.auditTable);
  return {
    audit,
    auditWarnings: audit.auditWarnings,
    store: deps.store,
    clock: deps.clock,
    pepper: deps.pepper,
    config: {
      code: CODE_CONFIG,
      lockout: { ...LOCKOUT, ...overrides.lockout },
      captcha: { provider: overrides.captcha ? 'turnstile' : 'none', mode: 'escalate' },
    },
    locks: new DynamoLockStore(db, TABLES.counters),
    denylist: new DynamoDenylistStore(db, TABLES.denylist, deps.clock),
    smsBreaker: deps.smsBreaker,
    notify: async (notice) => {
      notices.push(notice);
    },
    notices,
    warn: (what) => {
      warnings.push(what);
    },
    warnings,
  };
}

/**
 * The workflow reduced to its send step, for specs of the send claims themselves; the screening
 * steps have specs of their own (tests/workflow).
 */
export function sendStepOnly(deps: ChallengeDeps): ChallengeWorkflow {
  return {
    run: async (input) =>
      (
        await sendChallenge(deps, {
          challengeId: input.challengeId,
          sendNumber: input.sendNumber,
          identifier: normalizeIdentifier(input.identifier),
          channel: input.channel,
          source: { ip: input.sourceIp, asn: input.asn },
        })
      ).view,
  };
}

/** A first send of a new challenge for `email`, and the code it delivered (read from SES local). */
export async function openChallenge(deps: ChallengeDeps, email: string, source: Source) {
  const challengeId = generateId(systemRandom, 'ch');
  await sendChallenge(deps, {
    sendNumber: 1,
    challengeId,
    identifier: normalizeIdentifier(email),
    channel: 'email',
    source,
  });
  return { challengeId, code: codeIn((await emailsTo(email)).at(-1)?.body.text) };
}

export const stores = () => {
  const db = documentClient();
  return {
    db,
    users: new DynamoUserStore(db, TABLES.users),
    sessions: new DynamoSessionStore(db, TABLES.sessions, TABLES.accounts),
    counters: new DynamoCounterStore(db, TABLES.counters),
    locks: new DynamoLockStore(db, TABLES.counters),
    denylist: (clock: Clock) => new DynamoDenylistStore(db, TABLES.denylist, clock),
    smsBreaker: new DynamoSmsBreakerStore(db, TABLES.counters),
    devices: new DynamoDeviceStore(db, TABLES.accounts),
  };
};

/** Writes a standing trip of the SMS breaker as the send step would: tripped at `trippedAt`, for an hour. */
export async function tripBreaker(
  scope: BreakerScope,
  counts: { trippedAt: number; sends: number; verified: number },
): Promise<BreakerTrip> {
  const trip = {
    ...counts,
    until: counts.trippedAt + 3_600_000,
    baseline: { windowStart: 0, sends: 0, verified: 0 },
  };
  await stores().smsBreaker.trip(scope, trip, trip.until + 3_600_000);
  return trip;
}
