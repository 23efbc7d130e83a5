/**
 * A user's devices and the sessions bound to them: recognising the device a sign-in comes from
 * (and telling apps about a new one), holding a refresh to the device its session signed in on,
 * and the user's own view: list, bind, revoke. Matching is devices.ts's rule.
 */
import { importJWK } from 'jose';
import { type AccountAuditDeps, recordAccountEvent } from './audit.ts';
import { compareDevices, deviceSummary, recogniseDevice } from './devices.ts';
import { DeviceMismatch, InvalidRequest, NotFound, Unauthorized } from './errors.ts';
import type {
  AppEvent,
  Clock,
  DeviceDescription,
  DevicePublicKey,
  DeviceRecord,
  DeviceStore,
  EventPublisher,
  Random,
  SessionStore,
  Source,
} from './ports.ts';
import { networkOf } from './rate-limits.ts';
import { generateId } from './secrets.ts';
import { refreshSession, type TokenDeps, type TokenSet } from './tokens.ts';

export type DeviceDeps = { devices: DeviceStore; clock: Clock; random: Random };

/** Where NewDeviceSignIn goes, for which stack, and what to do when it cannot be told (log, count). */
export type NewDeviceNotice = { events: EventPublisher; stack: string; failed: (error: unknown) => void };

export const NEW_DEVICE_SIGN_IN = 'NewDeviceSignIn';

const networkLabel = (source: Source | undefined) => (source?.ip && networkOf(source.ip)) || 'unknown';

const withoutName = ({ name: _, ...attributes }: DeviceDescription): DeviceDescription => attributes;

/**
 * The device a sign-in comes from: the user's device it matches (not revoked), noted as seen, or a
 * new device recorded now. Undefined when the sign-in describes no device.
 */
export async function deviceAtSignIn(
  deps: DeviceDeps,
  input: { userId: string; device: DeviceDescription | undefined; source: Source | undefined },
): Promise<{ device: DeviceRecord; isNew: boolean } | undefined> {
  if (!input.device) return undefined;
  const now = deps.clock.now();
  const network = networkLabel(input.source);
  const attributes = withoutName(input.device);
  const known = recogniseDevice(await deps.devices.list(input.userId), input.device);
  // Revoked since it was listed: signing in from it again is signing in from a new device.
  if (known && (await deps.devices.touch(input.userId, known.deviceId, { now, network, attributes }))) {
    return { device: known, isNew: false };
  }
  const device: DeviceRecord = {
    deviceId: generateId(deps.random, 'dev'),
    userId: input.userId,
    ...(input.device.name ? { name: input.device.name } : {}),
    attributes,
    createdAt: now,
    lastSeenAt: now,
    lastNetwork: network,
  };
  await deps.devices.create(device);
  return { device, isNew: true };
}

/** The `authkit` event a sign-in from a new device publishes. It names no identifier. */
export function newDeviceSignIn(input: {
  device: DeviceRecord;
  sessionId: string;
  stack: string;
  signedInAt: number;
}): AppEvent {
  const { device } = input;
  return {
    detailType: NEW_DEVICE_SIGN_IN,
    detail: {
      userId: device.userId,
      deviceId: device.deviceId,
      sessionId: input.sessionId,
      device: { ...(device.name ? { name: device.name } : {}), ...deviceSummary(device.attributes) },
      network: device.lastNetwork,
      signedInAt: new Date(input.signedInAt).toISOString(),
      stack: input.stack,
    },
  };
}

/**
 * Publishes NewDeviceSignIn; never throws. The person is signed in whether or not the event went
 * out: a lost notice costs an app one email, a failed sign-in would cost the person their session.
 */
export async function announceNewDevice(
  notice: NewDeviceNotice,
  input: Parameters<typeof newDeviceSignIn>[0] extends infer I ? Omit<I & object, 'stack'> : never,
): Promise<void> {
  try {
    await notice.events.publish([newDeviceSignIn({ ...input, stack: notice.stack })]);
  } catch (error) {
    notice.failed(error);
  }
}

export type RefreshDeviceVerdict =
  | { outcome: 'same'; deviceId?: string }
  /** The session is bound to a device and the refresh came from another (or named none). */
  | { outcome: 'mismatch'; deviceId: string; differing: string[] }
  /** The session's device is revoked (or gone). */
  | { outcome: 'revoked'; deviceId: string };

/**
 * Whether a refresh comes from the device its session is bound to. The device is read (strongly
 * consistent) rather than copied onto the refresh token: a later POST /v1/devices may have bound
 * the session or rebound the device, and a revocation must stop the next refresh at once.
 */
export async function judgeRefreshDevice(
  deps: { devices: DeviceStore; sessions: Pick<SessionStore, 'findSession'> },
  session: { userId: string; sessionId: string; deviceId?: string | undefined },
  presented: DeviceDescription | undefined,
): Promise<RefreshDeviceVerdict> {
  // A session opened without a device may have been bound since; its tokens do not say so.
  const deviceId =
    session.deviceId ?? (await deps.sessions.findSession(session.userId, session.sessionId))?.deviceId;
  if (!deviceId) return { outcome: 'same' };
  const device = await deps.devices.find(session.userId, deviceId);
  if (!device || device.revokedAt !== undefined) return { outcome: 'revoked', deviceId };
  const comparison = compareDevices(device.attributes, presented);
  return comparison.same
    ? { outcome: 'same', deviceId }
    : { outcome: 'mismatch', deviceId, differing: comparison.differing };
}

export type RefreshDeps = { tokens: TokenDeps; devices: DeviceStore; audit: AccountAuditDeps };

/**
 * POST /v1/auth/token: rotates the refresh token only from the device its session is bound to. From
 * another device (or from a revoked one) the answer is InvalidGrant, the token stays as it was (the
 * person's own device keeps refreshing), and the attempt is audited.
 */
export async function refreshOnDevice(
  deps: RefreshDeps,
  input: { refreshToken: string; device: DeviceDescription | undefined; source: Source; requestId: string },
): Promise<TokenSet> {
  const context = { source: input.source, requestId: input.requestId };
  return refreshSession(
    { ...deps.tokens, audit: deps.audit },
    input.refreshToken,
    context,
    async (session) => {
      const verdict = await judgeRefreshDevice(
        { devices: deps.devices, sessions: deps.tokens.sessions },
        session,
        input.device,
      );
      if (verdict.outcome === 'same') return true;
      await recordAccountEvent(deps.audit, {
        identifierKey: session.identifierKey,
        action: 'refresh-device-mismatch',
        requestId: input.requestId,
        source: input.source,
        sessionId: session.sessionId,
        ...(verdict.deviceId ? { deviceId: verdict.deviceId } : {}),
        // Which attributes differed, never their values: the record says why, not what the device is.
        facts:
          verdict.outcome === 'mismatch'
            ? { reason: 'another-device', differing: verdict.differing.join(',') || 'none-in-common' }
            : { reason: 'device-revoked' },
      });
      return false;
    },
  );
}

/** A device as its user sees it (GET and POST /v1/devices). */
export type DeviceView = {
  id: string;
  name?: string;
  browser: string;
  os: string;
  createdAt: string;
  lastSeenAt: string;
  /** The /24 or /48 network it was last seen from. */
  lastNetwork: string;
  /** The caller's own session is bound to it. */
  current: boolean;
  /** Named and bound by POST /v1/devices. */
  bound: boolean;
  publicKey?: DevicePublicKey;
};

export function deviceView(
  device: DeviceRecord,
  current: boolean,
  lastSeenAt = device.lastSeenAt,
): DeviceView {
  return {
    id: device.deviceId,
    ...(device.name ? { name: device.name } : {}),
    ...deviceSummary(device.attributes),
    createdAt: new Date(device.createdAt).toISOString(),
    lastSeenAt: new Date(lastSeenAt).toISOString(),
    lastNetwork: device.lastNetwork,
    current,
    bound: device.boundAt !== undefined,
    ...(device.publicKey ? { publicKey: device.publicKey } : {}),
  };
}

/** The caller of a protected route, as the authorizer names them. */
export type DeviceCaller = {
  userId: string;
  sessionId: string;
  deviceId: string | undefined;
  identifierKey: string;
};

export type DeviceRouteDeps = DeviceDeps & {
  sessions: Pick<SessionStore, 'listSessions' | 'endSession' | 'findSession'>;
  audit: AccountAuditDeps;
};

/**
 * The user's devices that stand, most recently seen first. A device's last sighting is its own or
 * the last refresh of a session bound to it, whichever is later: refreshes do not write the device.
 */
export async function listDevices(deps: DeviceRouteDeps, caller: DeviceCaller): Promise<DeviceView[]> {
  const now = deps.clock.now();
  const [devices, sessions] = await Promise.all([
    deps.devices.list(caller.userId),
    deps.sessions.listSessions(caller.userId, now),
  ]);
  const seen = new Map<string, number>();
  for (const session of sessions) {
    if (!session.deviceId || session.revokedAt !== undefined) continue;
    seen.set(session.deviceId, Math.max(seen.get(session.deviceId) ?? 0, session.lastSeenAt));
  }
  return devices
    .filter((device) => device.revokedAt === undefined)
    .map((device) =>
      deviceView(
        device,
        device.deviceId === caller.deviceId,
        Math.max(device.lastSeenAt, seen.get(device.deviceId) ?? 0),
      ),
    )
    .sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
}

/**
 * POST /v1/devices: names and binds the device the caller's session signed in on, with an optional
 * public key. A session that signed in without describing a device gets one now, bound to it in the
 * same write. The description must match the session's device: an access token carried to another
 * machine cannot re-point the device at it.
 */
export async function bindDevice(
  deps: DeviceRouteDeps,
  caller: DeviceCaller,
  input: {
    device: DeviceDescription & { name: string };
    publicKey?: DevicePublicKey;
    source: Source;
    requestId: string;
  },
): Promise<DeviceView> {
  const now = deps.clock.now();
  const binding = {
    name: input.device.name,
    attributes: withoutName(input.device),
    ...(input.publicKey ? { publicKey: input.publicKey } : {}),
    now,
  };
  let deviceId = caller.deviceId;
  let bound: DeviceRecord | undefined;
  if (!deviceId) {
    const device: DeviceRecord = {
      deviceId: generateId(deps.random, 'dev'),
      userId: caller.userId,
      name: binding.name,
      attributes: binding.attributes,
      ...(binding.publicKey ? { publicKey: binding.publicKey } : {}),
      createdAt: now,
      lastSeenAt: now,
      boundAt: now,
      lastNetwork: networkLabel(input.source),
    };
    if (await deps.devices.createForSession(device, caller.sessionId)) bound = device;
    else {
      // Another request bound the session first (or it ended): bind the device it was bound to.
      deviceId = (await deps.sessions.findSession(caller.userId, caller.sessionId))?.deviceId;
      if (!deviceId) throw new Unauthorized();
    }
  }
  if (!bound && deviceId) {
    const device = await deps.devices.find(caller.userId, deviceId);
    if (!device || device.revokedAt !== undefined) throw new Unauthorized();
    if (!compareDevices(device.attributes, input.device).same) throw new DeviceMismatch();
    // Over what the device said before, never instead of it: a binding that names its browser alone
    // must not erase the screen, CPU and memory that tell this machine from others of its kind.
    const attributes = { ...device.attributes, ...binding.attributes };
    bound = await deps.devices.bind(caller.userId, deviceId, { ...binding, attributes });
    if (!bound) throw new Unauthorized();
  }
  if (!bound) throw new Unauthorized();
  await recordAccountEvent(deps.audit, {
    identifierKey: caller.identifierKey,
    action: 'device-bound',
    requestId: input.requestId,
    source: input.source,
    sessionId: caller.sessionId,
    deviceId: bound.deviceId,
    facts: { publicKey: bound.publicKey ? bound.publicKey.kty : 'none' },
  });
  return deviceView(bound, true);
}

/**
 * DELETE /v1/devices/{id}: revokes the device and ends every session bound to it. Another user's
 * device is NotFound, like a device there never was. Revoking a device revoked before ends any
 * session still bound to it (one that opened as the revocation ran) and answers the same.
 */
export async function revokeDevice(
  deps: DeviceRouteDeps,
  caller: DeviceCaller,
  input: { deviceId: string; source: Source; requestId: string },
): Promise<void> {
  const now = deps.clock.now();
  const outcome = await deps.devices.revoke(caller.userId, input.deviceId, now);
  if (outcome === 'unknown') throw new NotFound();
  const bound = (await deps.sessions.listSessions(caller.userId, now)).filter(
    (session) => session.deviceId === input.deviceId && session.revokedAt === undefined,
  );
  const ended = await Promise.all(
    bound.map(async (session) =>
      (await deps.sessions.endSession(caller.userId, session.sessionId, now, 'device'))
        ? session.sessionId
        : undefined,
    ),
  );
  const common = {
    identifierKey: caller.identifierKey,
    requestId: input.requestId,
    source: input.source,
    deviceId: input.deviceId,
  };
  await Promise.all([
    outcome === 'revoked'
      ? recordAccountEvent(deps.audit, { ...common, action: 'device-revoked', sessionId: caller.sessionId })
      : undefined,
    ...ended.map((sessionId) =>
      sessionId
        ? recordAccountEvent(deps.audit, {
            ...common,
            action: 'session-ended',
            sessionId,
            facts: { reason: 'device' },
          })
        : undefined,
    ),
  ]);
}

/** What makes a JWK private (EC/OKP `d`, RSA's factors, a symmetric `k`): never accepted, never kept. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const KEY_KINDS = {
  'EC/P-256': { members: ['kty', 'crv', 'x', 'y'], alg: 'ES256' },
  'OKP/Ed25519': { members: ['kty', 'crv', 'x'], alg: 'EdDSA' },
} as const;

/**
 * The public key POST /v1/devices registers: a public JWK, EC P-256 or OKP Ed25519, that jose
 * imports (a point off the curve, a wrong length or bad base64url is refused). Kept as its bare
 * members, so what is stored is exactly the key.
 */
export async function parseDevicePublicKey(
  value: unknown,
  field = 'device.publicKey',
): Promise<DevicePublicKey> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequest(field, 'must be a public JWK');
  }
  const jwk = value as Record<string, unknown>;
  const secret = PRIVATE_MEMBERS.filter((member) => member in jwk);
  if (secret.length > 0) {
    throw new InvalidRequest(
      field,
      `must be a public key; private members (${secret.join(', ')}) are refused`,
    );
  }
  const kind = KEY_KINDS[`${jwk.kty}/${jwk.crv}` as keyof typeof KEY_KINDS];
  if (!kind) throw new InvalidRequest(field, 'must be an EC P-256 or OKP Ed25519 key');
  const extra = Object.keys(jwk).filter((member) => !(kind.members as readonly string[]).includes(member));
  if (extra.length > 0) throw new InvalidRequest(field, `must hold only ${kind.members.join(', ')}`);
  for (const member of kind.members.slice(2)) {
    if (typeof jwk[member] !== 'string' || (jwk[member] as string).length > 64) {
      throw new InvalidRequest(`${field}.${member}`, 'must be a base64url string');
    }
  }
  try {
    await importJWK(jwk, kind.alg);
  } catch {
    throw new InvalidRequest(field, 'is not a valid key of its curve');
  }
  return Object.fromEntries(kind.members.map((member) => [member, jwk[member]])) as DevicePublicKey;
}
