/**
 * Lockout: wrong codes in a row, across challenges, counted per identifier and per identifier from
 * one source network (/24, /48). Attempts are spent from both locks before the code is compared,
 * in the transaction that spends the challenge's attempt, so parallel guesses cannot overrun them.
 *
 * - A source network is blocked for that identifier after `sourceFailures` wrong codes; its blocks
 *   grow from `blockSeconds`, doubling each time, up to a day. Other networks are unaffected.
 * - The identifier, across the networks in their first cycle (`attemptLocks`): with a captcha
 *   provider, twice `sourceFailures` (several networks) makes its starts ask for captcha, and
 *   `identifierFailureLimit` (at most 100, NIST SP 800-63B-4's ceiling) blocks it for a day;
 *   without one, twice `sourceFailures` starts the growing blocks. After a block ends, each lock
 *   allows `sourceFailures` more before the next.
 * - Nothing is permanent and nothing ends a session: a block only pauses attempts. A correct code
 *   clears the identifier's lock and its own network's; an attacker's networks stay blocked.
 */
import type { Config } from './config.ts';
import { RateLimited } from './errors.ts';
import type { Channel } from './identifier.ts';
import type { LockSpend, LockState, LockStore, Source } from './ports.ts';
import { networkOf } from './rate-limits.ts';

const LONGEST_BLOCK_MS = 86_400_000;

export type LockoutDeps = {
  locks: LockStore;
  config: Pick<Config, 'lockout' | 'captcha'>;
};

/** Tells the person that a block started, on the channel the codes go to. Must not throw. */
export type LockoutNotifier = (notice: {
  channel: Channel;
  destination: string;
  minutes: number;
}) => Promise<void>;

type Keys = { identifier: string; source: string };

function keysOf(identifierKey: string, source: Source): Keys {
  const network = source.ip ? networkOf(source.ip) : undefined;
  return { identifier: `lock#${identifierKey}`, source: `lock@${network ?? 'unknown'}#${identifierKey}` };
}

const withCaptcha = (deps: LockoutDeps) => deps.config.captcha.provider !== 'none';

/**
 * The attempt each lock must grant before a code is compared. A network spends from the
 * identifier's lock only until its own first block: after that its own growing blocks hold it, so
 * one persistent network can never block the identifier for anyone else. The identifier's lock
 * therefore counts how many networks are guessing.
 */
export async function attemptLocks(
  deps: LockoutDeps,
  identifierKey: string,
  source: Source,
): Promise<LockSpend[]> {
  const { sourceFailures, identifierFailureLimit } = deps.config.lockout;
  const keys = keysOf(identifierKey, source);
  const [fromSource] = await deps.locks.read([keys.source]);
  const sourceLock = { key: keys.source, allowance: sourceFailures };
  if (fromSource && fromSource.cycle > 0) return [sourceLock];
  return [
    { key: keys.identifier, allowance: withCaptcha(deps) ? identifierFailureLimit : 2 * sourceFailures },
    sourceLock,
  ];
}

/** When the lock's block ends, if it has no attempt left. */
function blockEnd(deps: LockoutDeps, key: string, state: LockState): number | undefined {
  if (state.used < state.allowance) return undefined;
  // With captcha, the identifier's lock blocks only at the ceiling, and for the longest time.
  const atCeiling = withCaptcha(deps) && key.startsWith('lock#');
  const length = atCeiling
    ? LONGEST_BLOCK_MS
    : Math.min(deps.config.lockout.blockSeconds * 1000 * 2 ** state.cycle, LONGEST_BLOCK_MS);
  return state.lastAttemptAt + length;
}

function blocked(until: number, now: number): RateLimited {
  return new RateLimited((until - now) / 1000, 'Too many wrong codes; sign-in from here is paused');
}

/**
 * Before a start or resend: refuses while either lock blocks; says whether the identifier is under
 * attack from several sources (the start then needs a captcha, where a provider is configured).
 */
export async function assessLockout(
  deps: LockoutDeps,
  identifierKey: string,
  source: Source,
  now: number,
): Promise<{ underAttack: boolean }> {
  const keys = keysOf(identifierKey, source);
  const [identifier, fromSource] = await deps.locks.read([keys.identifier, keys.source]);
  const ends = [
    identifier && blockEnd(deps, keys.identifier, identifier),
    fromSource && blockEnd(deps, keys.source, fromSource),
  ].filter((end): end is number => end !== undefined && end > now);
  if (ends.length > 0) throw blocked(Math.max(...ends), now);
  const escalation = 2 * deps.config.lockout.sourceFailures;
  return { underAttack: identifier !== undefined && (identifier.cycle > 0 || identifier.used >= escalation) };
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

/** After a wrong code: if it started a block, tells the person once for that block. */
export async function noticeIfBlocked(
  deps: LockoutDeps & { notify: LockoutNotifier },
  challenge: { identifierKey: string; channel: Channel; destination: string },
  source: Source,
  now: number,
): Promise<void> {
  const keys = keysOf(challenge.identifierKey, source);
  const states = await deps.locks.read([keys.identifier, keys.source]);
  const ends = [keys.identifier, keys.source]
    .map((key, i) => {
      const state = states[i];
      return state && blockEnd(deps, key, state);
    })
    .filter((end): end is number => end !== undefined && end > now);
  if (ends.length === 0) return;
  const until = Math.max(...ends);
  if (!(await deps.locks.claimNotice(keys.identifier, until, now))) return;
  await deps.notify({
    channel: challenge.channel,
    destination: challenge.destination,
    minutes: Math.ceil((until - now) / 60_000),
  });
}

/** A correct code: the identifier's run and its own network's end; other networks' blocks stay. */
export async function clearLockout(deps: LockoutDeps, identifierKey: string, source: Source): Promise<void> {
  const keys = keysOf(identifierKey, source);
  await deps.locks.clear([keys.identifier, keys.source]);
}

/** An operator's unlock: the identifier's lock goes; the networks blocked for it stay blocked. */
export async function clearIdentifierLock(
  deps: Pick<LockoutDeps, 'locks'>,
  identifierKey: string,
): Promise<void> {
  await deps.locks.clear([keysOf(identifierKey, {}).identifier]);
}
