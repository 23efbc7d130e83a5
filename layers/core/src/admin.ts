/**
 * What an operator does to one identifier (`npm run admin`, through the admin function): deny it,
 * which also ends its sessions; lift the entry, which also lifts its lockout; list the denylist; ask
 * why it is refused; or end its sessions alone. Every change is audited.
 */
import { type AuditDeps, recordOperatorChange } from './audit.ts';
import { InvalidRequest } from './errors.ts';
import { type Identifier, identifierKey, normalizeIdentifier, screeningKey } from './identifier.ts';
import { clearIdentifierLock } from './lockout.ts';
import type { DenylistEntry, DenylistStore, SessionStore, UserStore } from './ports.ts';
import type { Block } from './screening.ts';
import { type WhyDeps, whyBlocked } from './why.ts';

export type AdminDeps = WhyDeps &
  AuditDeps & { denylist: DenylistStore; sessions: SessionStore; users: Pick<UserStore, 'find'> };

const UNIT_MS = { h: 3_600_000, d: 86_400_000 } as const;
const MAX_EXPIRY_MS = 3650 * UNIT_MS.d;

/** `12h` or `30d` as milliseconds, from an hour to ten years; anything else is an InvalidRequest. */
export function parseExpiry(text: string): number {
  const match = /^([1-9][0-9]{0,5})([hd])$/.exec(text);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as 'h' | 'd'] : Number.NaN;
  if (!(ms <= MAX_EXPIRY_MS)) {
    throw new InvalidRequest(
      'expires',
      `must be hours or days, e.g. 12h or 30d, at most 3650d (got "${text}")`,
    );
  }
  return ms;
}

/** No new sign-ins (starts, resends, open challenges), and every session ends now. */
export async function denyIdentifier(
  deps: AdminDeps,
  identifier: Identifier,
  input: { reason: string; expiresInMs?: number | undefined; requestId: string },
): Promise<DenylistEntry> {
  const now = deps.clock.now();
  const entry: DenylistEntry = {
    key: screeningKey(identifier),
    reason: input.reason,
    source: 'operator',
    deniedAt: now,
    ...(input.expiresInMs ? { expiresAt: now + input.expiresInMs } : {}),
  };
  await deps.denylist.deny(entry);
  await endSessionsOf(deps, identifier, now);
  await recordOperatorChange(deps, identifier, {
    action: 'denylist-add',
    requestId: input.requestId,
    facts: {
      reason: entry.reason,
      ...(entry.expiresAt ? { until: new Date(entry.expiresAt).toISOString() } : {}),
    },
  });
  return entry;
}

/**
 * Lifts the denylist entry and the identifier's lockout; blocked attacking networks stay blocked.
 * Returns the entry that stood, if one did.
 */
export async function allowIdentifier(
  deps: AdminDeps,
  identifier: Identifier,
  input: { requestId: string },
): Promise<DenylistEntry | undefined> {
  const key = screeningKey(identifier);
  // The entry as typed too: written before keys folded, or by hand, it would still block.
  const keys = [...new Set([key, identifierKey(identifier)])];
  const [standing] = await deps.denylist.standing(keys);
  await Promise.all(keys.map((one) => deps.denylist.allow(one)));
  await clearIdentifierLock(deps, key);
  await recordOperatorChange(deps, identifier, { action: 'denylist-remove', requestId: input.requestId });
  return standing;
}

/**
 * Every session of the identifier ends: refresh tokens stop rotating, and the authorizer refuses the
 * access tokens of each session of the identifier's user.
 */
async function endSessionsOf(deps: AdminDeps, identifier: Identifier, now: number): Promise<void> {
  const key = identifierKey(identifier);
  const user = await deps.users.find(key);
  await deps.sessions.revokeAll(key, now, user?.userId);
}

/** Every session of the identifier ends now (see endSessionsOf). */
export async function endAllSessions(deps: AdminDeps, identifier: Identifier, input: { requestId: string }) {
  await endSessionsOf(deps, identifier, deps.clock.now());
  await recordOperatorChange(deps, identifier, { action: 'sessions-end', requestId: input.requestId });
}

/** What the admin function is asked: one command, with the identifier it is about. */
export type AdminCommand = {
  command: 'denylist-add' | 'denylist-remove' | 'denylist-list' | 'denylist-why' | 'sessions-end';
  identifier?: string;
  reason?: string;
  /** `12h`, `30d` (denylist-add); absent: until removed. */
  expires?: string;
};

export type AdminResult =
  | { command: 'denylist-add'; identifier: string; entry: DenylistEntry }
  | { command: 'denylist-remove'; identifier: string; removed: DenylistEntry | null }
  | { command: 'denylist-list'; entries: DenylistEntry[] }
  | { command: 'denylist-why'; identifier: string; blocks: Block[] }
  | { command: 'sessions-end'; identifier: string };

const COMMANDS: readonly AdminCommand['command'][] = [
  'denylist-add',
  'denylist-remove',
  'denylist-list',
  'denylist-why',
  'sessions-end',
];
const MAX_REASON_LENGTH = 200;

/** Runs one command; input that is not one is an InvalidRequest naming what was wrong. */
export async function runAdminCommand(
  deps: AdminDeps,
  input: unknown,
  requestId: string,
): Promise<AdminResult> {
  const event = (input ?? {}) as Partial<Record<keyof AdminCommand, unknown>>;
  const command = event.command as AdminCommand['command'];
  if (!COMMANDS.includes(command))
    throw new InvalidRequest('command', `must be one of ${COMMANDS.join(', ')}`);
  if (command === 'denylist-list') return { command, entries: await deps.denylist.list() };
  const identifier = normalizeIdentifier(event.identifier as string);
  switch (command) {
    case 'denylist-add': {
      const reason = event.reason ?? 'operator';
      if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON_LENGTH)
        throw new InvalidRequest('reason', `must be text of 1 to ${MAX_REASON_LENGTH} characters`);
      const expiresInMs = event.expires === undefined ? undefined : parseExpiry(String(event.expires));
      const entry = await denyIdentifier(deps, identifier, { reason: reason.trim(), expiresInMs, requestId });
      return { command, identifier: identifier.value, entry };
    }
    case 'denylist-remove': {
      const removed = await allowIdentifier(deps, identifier, { requestId });
      return { command, identifier: identifier.value, removed: removed ?? null };
    }
    case 'denylist-why':
      return { command, identifier: identifier.value, blocks: await whyBlocked(deps, identifier) };
    case 'sessions-end':
      await endAllSessions(deps, identifier, { requestId });
      return { command, identifier: identifier.value };
  }
}
