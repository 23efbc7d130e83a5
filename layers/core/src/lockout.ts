/**
 * Lockout: wrong codes since the last sign-in, counted per identifier and per identifier from one
 * source network (/24, /48). The identifier is its screening key, as for budgets and the denylist:
 * `a+1@x` and `a+2@x` share one lock, because their codes reach one mailbox. Attempts are spent from the locks before the code is compared, in the
 * transaction that spends the challenge's attempt, so parallel guesses cannot overrun them.
 *
 * - A network is blocked for that identifier after `sourceFailures` wrong codes; its blocks grow
 *   from `blockSeconds`, doubling each time, up to a day. Other networks are unaffected.
 * - The identifier counts every wrong code. Once two networks have guessed and it has twice
 *   `sourceFailures`, it is under attack: with a captcha provider its starts ask for one; without,
 *   it is blocked, for blocks that grow like a network's.
 * - At `identifierFailureLimit` (at most 100, NIST SP 800-63B-4's ceiling) it is blocked for
 *   30 days, and again after every `sourceFailures` more.
 * - Networks where the identifier signed in within 90 days are held by their own lock alone: the
 *   identifier's blocks never apply there, so nobody elsewhere can lock the owner out of them
 *   (their wrong codes still count towards the ceiling). Nothing ends a session, nothing is
 *   permanent. A correct code clears the identifier's lock and its own network's.
 */
import type { Config } from './config.ts';
import { RateLimited } from './errors.ts';
import type { Channel } from './identifier.ts';
import type { LockSpend, LockState, LockStore, Source } from './ports.ts';
import { networkOf } from './rate-limits.ts';

const DAY_MS = 86_400_000;
const LONGEST_LADDER_BLOCK_MS = DAY_MS;
const CEILING_BLOCK_MS = 30 * DAY_MS;
const KNOWN_FOR_MS = 90 * DAY_MS;
/** A known network's marker is written again once it is this old, not at every sign-in. */
const KNOWN_REFRESH_AFTER_MS = 30 * DAY_MS;

export type LockoutDeps = {
  locks: LockStore;
  config: Pick<Config, 'lockout' | 'captcha'>;
};

/** Which block a notice is about: this network's, or the identifier's everywhere but known networks. */
export type BlockScope = 'network' | 'identifier';

/** Tells the person that a block started, on the channel the codes go to. Must not throw. */
export type LockoutNotifier = (notice: {
  channel: Channel;
  destination: string;
  scope: BlockScope;
  minutes: number;
}) => Promise<void>;

/**
 * Records a block in the audit trail, once for each block of each lock: which lock (this network's
 * for the identifier, or the identifier's own), the network the wrong code came from, when it ends.
 */
export type BlockRecorder = {
  /** Must not throw. */
  record(block: { scope: BlockScope; network: string; until: number }): Promise<void>;
  /** The claim could not be written: the block goes unrecorded, and its notice is still sent. */
  failed(error: unknown): void;
};

function keysOf(identifierKey: string, source: Source) {
  const network = (source.ip && networkOf(source.ip)) || 'unknown';
  return {
    network,
    identifier: `lock#${identifierKey}`,
    source: `lock@${network}#${identifierKey}`,
    known: `known@${network}#${identifierKey}`,
    notice: (scope: BlockScope) => `notice@${scope}#${identifierKey}`,
    // Per lock, unlike the notice: the person hears of one network's block per period, but each
    // network's block is a record of its own.
    recorded: (scope: BlockScope) =>
      scope === 'network' ? `audited@${network}#${identifierKey}` : `audited#${identifierKey}`,
  };
}

const isIdentifierLock = (key: string) => key.startsWith('lock#');

/** When the lock's block ends, if it blocks. */
function blockEnd(deps: LockoutDeps, key: string, state: LockState): number | undefined {
  const { blockSeconds, identifierFailureLimit } = deps.config.lockout;
  if (state.used < state.allowance) return undefined;
  const atCeiling = isIdentifierLock(key) && state.used >= identifierFailureLimit;
  if (isIdentifierLock(key) && !atCeiling && state.networks.length < 2) return undefined;
  const length = atCeiling
    ? CEILING_BLOCK_MS
    : Math.min(blockSeconds * 1000 * 2 ** state.cycle, LONGEST_LADDER_BLOCK_MS);
  return state.lastAttemptAt + length;
}

function blocked(until: number, now: number): RateLimited {
  return new RateLimited((until - now) / 1000, 'lockout');
}

const isKnown = (marker: LockState | undefined, now: number) => (marker?.until ?? 0) > now;

/** What a verify learns before its attempt, and needs again after a correct code. */
export type AttemptLocks = { locks: LockSpend[]; knownUntil: number | undefined };

/**
 * The attempt each lock must grant before a code is compared. On a network the identifier signed
 * in from before, the identifier's lock only counts the attempt.
 */
export async function attemptLocks(
  deps: LockoutDeps,
  identifierKey: string,
  source: Source,
  now: number,
): Promise<AttemptLocks> {
  const { sourceFailures, identifierFailureLimit } = deps.config.lockout;
  const keys = keysOf(identifierKey, source);
  const [marker] = await deps.locks.read([keys.known]);
  const withCaptcha = deps.config.captcha.provider !== 'none';
  const identifierLock: LockSpend = isKnown(marker, now)
    ? { key: keys.identifier, allowance: identifierFailureLimit, countOnly: true }
    : {
        key: keys.identifier,
        allowance: withCaptcha ? identifierFailureLimit : 2 * sourceFailures,
        network: keys.network,
        ceiling: identifierFailureLimit,
      };
  return {
    locks: [identifierLock, { key: keys.source, allowance: sourceFailures }],
    knownUntil: isKnown(marker, now) ? marker?.until : undefined,
  };
}

/**
 * Before a start or resend: refuses while a lock blocks it; says whether the identifier is under
 * attack from several networks (the start then needs a captcha, where a provider is configured).
 */
export async function assessLockout(
  deps: LockoutDeps,
  identifierKey: string,
  source: Source,
  now: number,
): Promise<{ underAttack: boolean }> {
  const keys = keysOf(identifierKey, source);
  const [fromSource, identifier, marker] = await deps.locks.read([keys.source, keys.identifier, keys.known]);
  const known = isKnown(marker, now);
  const sourceEnd = fromSource && blockEnd(deps, keys.source, fromSource);
  const identifierEnd = !known && identifier ? blockEnd(deps, keys.identifier, identifier) : undefined;
  const ends = [sourceEnd, identifierEnd].filter((end): end is number => end !== undefined && end > now);
  if (ends.length > 0) throw blocked(Math.max(...ends), now);
  const underAttack =
    !known &&
    identifier !== undefined &&
    identifier.networks.length >= 2 &&
    identifier.used >= 2 * deps.config.lockout.sourceFailures;
  return { underAttack };
}

/**
 * An attempt found `key` with none left. Once its block has run, the lock's next cycle starts (one
 * caller does it; the others find it done) and the attempt may be tried again; until then this
 * throws the block's RateLimited.
 */
export async function reopenAfterBlock(
  deps: LockoutDeps,
  key: string,
  state: LockState,
  now: number,
): Promise<void> {
  const end = blockEnd(deps, key, state);
  if (end !== undefined && end > now) throw blocked(end, now);
  if (end !== undefined) await deps.locks.reopen(key, state, deps.config.lockout.sourceFailures);
}

/**
 * After a wrong code: for each block running now, records it in the audit trail and tells the
 * person, each once for that block (a claim each: parallel wrong codes that all find the block
 * record and tell it once).
 */
export async function noticeIfBlocked(
  deps: LockoutDeps & { notify: LockoutNotifier; blocks: BlockRecorder },
  challenge: { lockKey: string; channel: Channel; destination: string },
  source: Source,
  now: number,
): Promise<void> {
  const keys = keysOf(challenge.lockKey, source);
  const [identifier, fromSource] = await deps.locks.read([keys.identifier, keys.source]);
  const blocks: [BlockScope, number | undefined][] = [
    ['network', fromSource && blockEnd(deps, keys.source, fromSource)],
    ['identifier', identifier && blockEnd(deps, keys.identifier, identifier)],
  ];
  for (const [scope, until] of blocks) {
    if (until === undefined || until <= now) continue;
    try {
      if (await deps.locks.claimNotice(keys.recorded(scope), until, now)) {
        await deps.blocks.record({ scope, network: keys.network, until });
      }
    } catch (error) {
      deps.blocks.failed(error);
    }
    if (!(await deps.locks.claimNotice(keys.notice(scope), until, now))) continue;
    await deps.notify({
      channel: challenge.channel,
      destination: challenge.destination,
      scope,
      minutes: Math.ceil((until - now) / 60_000),
    });
  }
}

/**
 * A correct code: the identifier's count and its own network's end, and the network is one its
 * owner uses (the marker written again once a month); other networks' blocks stay.
 */
export async function clearLockout(
  deps: LockoutDeps,
  identifierKey: string,
  source: Source,
  attempt: AttemptLocks & { now: number },
): Promise<void> {
  const keys = keysOf(identifierKey, source);
  await deps.locks.clear([keys.identifier, keys.source]);
  const markedAt = (attempt.knownUntil ?? 0) - KNOWN_FOR_MS;
  if (attempt.now - markedAt > KNOWN_REFRESH_AFTER_MS) {
    await deps.locks.mark(keys.known, attempt.now + KNOWN_FOR_MS);
  }
}

/** An operator's unlock: the identifier's lock goes; the networks blocked for it stay blocked. */
export async function clearIdentifierLock(
  deps: Pick<LockoutDeps, 'locks'>,
  identifierKey: string,
): Promise<void> {
  await deps.locks.clear([keysOf(identifierKey, {}).identifier]);
}

/**
 * The identifier's own block running at `now`, for an operator asking why it is refused. A
 * network's block cannot be listed: its lock is keyed by the network, which the operator would
 * have to name. Networks the identifier signed in from are exempt from this one.
 */
export async function identifierBlock(
  deps: LockoutDeps,
  identifierKey: string,
  now: number,
): Promise<{ until: number; wrongCodes: number; networks: number } | undefined> {
  const key = keysOf(identifierKey, {}).identifier;
  const [state] = await deps.locks.read([key]);
  const until = state && blockEnd(deps, key, state);
  if (!state || until === undefined || until <= now) return undefined;
  return { until, wrongCodes: state.used, networks: state.networks.length };
}
