/**
 * What an operator does to one identifier (scripts/admin.ts): deny it, which also ends its
 * sessions; allow it again, which also lifts its lockout; or end its sessions alone.
 */
import { type Identifier, identifierKey, screeningKey } from './identifier.ts';
import { clearIdentifierLock } from './lockout.ts';
import type { Clock, DenylistStore, LockStore, SessionStore } from './ports.ts';

export type AdminDeps = { denylist: DenylistStore; sessions: SessionStore; locks: LockStore; clock: Clock };

const DAY_MS = 86_400_000;

/** No new sign-ins (starts, resends, open challenges), and every session ends now. */
export async function denyIdentifier(
  deps: AdminDeps,
  identifier: Identifier,
  input: { reason: string; days?: number | undefined },
): Promise<void> {
  const now = deps.clock.now();
  await deps.denylist.deny({
    key: screeningKey(identifier),
    reason: input.reason,
    source: 'operator',
    deniedAt: now,
    ...(input.days ? { expiresAt: now + input.days * DAY_MS } : {}),
  });
  await deps.sessions.revokeAll(identifierKey(identifier), now);
}

/** Lifts the denylist entry and the identifier's lockout; blocked attacking networks stay blocked. */
export async function allowIdentifier(deps: AdminDeps, identifier: Identifier): Promise<void> {
  await deps.denylist.allow(screeningKey(identifier));
  await clearIdentifierLock(deps, screeningKey(identifier));
}

/** Refresh tokens stop working at once; access tokens live out their lifetime. */
export async function endAllSessions(deps: Pick<AdminDeps, 'sessions' | 'clock'>, identifier: Identifier) {
  await deps.sessions.revokeAll(identifierKey(identifier), deps.clock.now());
}
