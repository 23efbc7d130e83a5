/**
 * What a signed-in person sees of their own account and can do to it: their sessions (GET /v1/me)
 * and ending one (DELETE /v1/sessions/{id}). The caller is who AuthKit's authorizer found behind the
 * access token; everything is read under their user id, so another user's session is never found.
 */
import { type AccountAuditDeps, recordAccountEvent } from './audit.ts';
import type { Config } from './config.ts';
import { deviceSummary } from './devices.ts';
import { NotFound } from './errors.ts';
import type { Clock, DeviceStore, SessionStore, SessionSummary, Source } from './ports.ts';
import { identifierFromKey } from './tokens.ts';

export type AccountCaller = { userId: string; sessionId: string; identifierKey: string };

export type AccountDeps = {
  sessions: SessionStore;
  /** Names each session's device (GET /v1/me). */
  devices: Pick<DeviceStore, 'list'>;
  clock: Clock;
  config: Pick<Config['tokens'], 'refreshIdleSeconds'>;
};

export type SessionView = {
  id: string;
  current: boolean;
  method: SessionSummary['method'];
  /** The /24 or /48 it was opened from. */
  network: string;
  /** The device it is bound to, as its owner knows it. */
  device: { id: string; name: string | null; browser: string; os: string } | null;
  createdAt: string;
  lastSeenAt: string;
  /** When it ends unless refreshed before: the idle lifetime from its last use, capped by its absolute one. */
  expiresAt: string;
};

export type AccountView = { user: { id: string; identifier: string }; sessions: SessionView[] };

/** The caller and their live sessions, most recently used first. */
export async function describeAccount(deps: AccountDeps, caller: AccountCaller): Promise<AccountView> {
  const now = deps.clock.now();
  const idleMs = deps.config.refreshIdleSeconds * 1000;
  const [live, devices] = await Promise.all([
    deps.sessions.listSessions(caller.userId, now),
    deps.devices.list(caller.userId),
  ]);
  const deviceOf = (deviceId: string | undefined) => {
    const device = devices.find((one) => one.deviceId === deviceId);
    return device
      ? { id: device.deviceId, name: device.name ?? null, ...deviceSummary(device.attributes) }
      : null;
  };
  const sessions = live
    .map((session) => ({
      session,
      expiresAt: Math.min(session.lastSeenAt + idleMs, session.absoluteExpiresAt),
    }))
    // A session idle past its lifetime has no refresh token left that works: it is over.
    .filter(({ expiresAt }) => expiresAt > now)
    .sort((a, b) => b.session.lastSeenAt - a.session.lastSeenAt);
  return {
    user: { id: caller.userId, identifier: identifierFromKey(caller.identifierKey).value },
    sessions: sessions.map(({ session, expiresAt }) => ({
      id: session.sessionId,
      current: session.sessionId === caller.sessionId,
      method: session.method,
      network: session.network,
      device: deviceOf(session.deviceId),
      createdAt: new Date(session.createdAt).toISOString(),
      lastSeenAt: new Date(session.lastSeenAt).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
    })),
  };
}

/**
 * Ends one of the caller's sessions; ending the current one is logging out. Ending one that already
 * ended changes nothing and answers the same; one the caller does not have is NotFound.
 */
export async function endOwnSession(
  deps: AccountDeps & { audit: AccountAuditDeps },
  caller: AccountCaller,
  request: { sessionId: string; source: Source; requestId: string },
): Promise<void> {
  const current = request.sessionId === caller.sessionId;
  const now = deps.clock.now();
  const ended = await deps.sessions.endSession(
    caller.userId,
    request.sessionId,
    now,
    current ? 'logout' : 'user',
  );
  if (!ended) {
    if (!(await deps.sessions.findSession(caller.userId, request.sessionId))) throw new NotFound();
    return;
  }
  await recordAccountEvent(deps.audit, {
    identifierKey: caller.identifierKey,
    action: current ? 'logged-out' : 'session-ended',
    requestId: request.requestId,
    source: request.source,
    sessionId: request.sessionId,
    facts: { by: 'user' },
  });
}
