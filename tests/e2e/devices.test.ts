/**
 * Devices through `npm start`'s runtime: a sign-in recognises the device it comes from (a new one is
 * told as NewDeviceSignIn), a refresh works only from the session's device, and revoking a device
 * ends its sessions, refresh and access tokens alike. The routes are called with an access token,
 * through AuthKit's authorizer. Audit records are read from the audit table.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { auditSubject } from '../../layers/core/src/audit.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type { DeviceDescription } from '../../layers/core/src/ports.ts';
import { TABLES } from '../support/core-fixtures.ts';
import { iphone, UA, desktop as windowsDesktop } from '../support/devices.ts';
import { documentClient, uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();
const db = documentClient();

const CHROME_130_MAC = UA.chrome131Mac.replace('Chrome/131', 'Chrome/130');
const CHROME_131_MAC = UA.chrome131Mac;

/** Ada's MacBook in Chrome, as `navigator` and `screen` describe it. */
const laptop = (userAgent = CHROME_130_MAC): DeviceDescription => ({
  userAgent,
  platform: 'MacIntel',
  language: 'en-GB',
  timezone: 'Europe/London',
  screen: '1512x982',
  colorDepth: 30,
  hardwareConcurrency: 8,
  deviceMemory: 8,
  touchPoints: 0,
});
/** Another machine: a Windows desktop. */
const desktop = windowsDesktop(UA.chrome131Windows);
const phone = iphone(UA.safariIos18, { language: 'en-GB', timezone: 'Europe/London' });

type Session = { email: string; accessToken: string; refreshToken: string; userId: string };

/** start → the code from the local inbox → verify, from the device described (or none). */
async function signIn(email: string, device?: DeviceDescription): Promise<Session> {
  const started = await suite.http.start(email);
  const code = await suite.http.latestCode(email);
  const verified = await suite.http.post('/v1/auth/verify', {
    challengeId: started.body.challengeId,
    code,
    ...(device ? { device } : {}),
  });
  expect(verified.status).toBe(200);
  return {
    email,
    accessToken: verified.body.accessToken as string,
    refreshToken: verified.body.refreshToken as string,
    userId: (verified.body.user as { id: string }).id,
  };
}

const refresh = (refreshToken: string, device?: DeviceDescription) =>
  suite.http.post('/v1/auth/token', {
    grantType: 'refresh_token',
    refreshToken,
    ...(device ? { device } : {}),
  });

/** The session's summary, as the authorizer reads it: its device, and whether it ended. */
async function summaryOf(accessToken: string): Promise<Record<string, unknown> | undefined> {
  const { sub, sid } = decodeJwt(accessToken) as { sub: string; sid: string };
  const { Item } = await db.send(
    new GetCommand({
      TableName: TABLES.accounts,
      Key: { pk: sub, sk: `session#${sid}` },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** A devices route, behind AuthKit's authorizer, with the session's access token. */
const devicesRoute = (
  session: Session,
  method: 'GET' | 'POST' | 'DELETE',
  deviceId?: string,
  body?: unknown,
) =>
  suite.http.call(method, deviceId ? `/v1/devices/${deviceId}` : '/v1/devices', body, {
    authorization: `Bearer ${session.accessToken}`,
  });

/** The account's audit trail, oldest first. */
async function trail(email: string): Promise<Record<string, unknown>[]> {
  const secret = suite.runtime.secrets.find('AuditKeySecret')?.value as string;
  const { Items } = await db.send(
    new QueryCommand({
      TableName: TABLES.audit,
      KeyConditionExpression: 'pk = :subject',
      ExpressionAttributeValues: {
        ':subject': await auditSubject(async () => secret, normalizeIdentifier(email)),
      },
    }),
  );
  return Items ?? [];
}

const newDeviceEvents = (userId: string) =>
  suite.runtime.events
    .published()
    .filter(
      (event) =>
        event['detail-type'] === 'NewDeviceSignIn' && (event.detail as { userId: string }).userId === userId,
    );

describe('signing in from a device', () => {
  it('records the device, binds the session to it, and lists it as current', async () => {
    // Prepare
    const ada = await signIn(uniqueEmail('devices-list'), laptop());

    // Act
    const listed = await devicesRoute(ada, 'GET');

    // Assess
    expect(listed.status).toBe(200);
    expect(listed.body.devices).toEqual([
      {
        id: expect.stringMatching(/^dev_[A-Za-z0-9_-]{22}$/),
        browser: 'Chrome',
        os: 'macOS',
        createdAt: expect.any(String),
        lastSeenAt: expect.any(String),
        lastNetwork: '127.0.0.0/24',
        current: true,
        bound: false,
      },
    ]);
  });

  it('publishes exactly one NewDeviceSignIn for a new device, and none for a known one', async () => {
    // Prepare
    const email = uniqueEmail('devices-event');

    // Act
    const first = await signIn(email, laptop(CHROME_130_MAC));
    await signIn(email, laptop(CHROME_131_MAC));

    // Assess
    const [deviceId] = ((await devicesRoute(first, 'GET')).body.devices as { id: string }[]).map((d) => d.id);
    const events = newDeviceEvents(first.userId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'authkit',
      detail: {
        userId: first.userId,
        deviceId,
        sessionId: decodeJwt(first.accessToken).sid,
        device: { browser: 'Chrome', os: 'macOS' },
        network: '127.0.0.0/24',
        signedInAt: expect.any(String),
        stack: expect.any(String),
      },
    });
    expect(JSON.stringify(events[0])).not.toContain(email);
  });

  it('a sign-in that describes no device opens a session bound to none, and tells no one', async () => {
    // Act
    const ada = await signIn(uniqueEmail('devices-none'));

    // Assess
    expect((await devicesRoute(ada, 'GET')).body.devices).toEqual([]);
    expect((await summaryOf(ada.accessToken))?.deviceId).toBeUndefined();
    expect(newDeviceEvents(ada.userId)).toEqual([]);
  });
});

describe('the device field of start', () => {
  it('is accepted and checked like verify’s', async () => {
    // Act
    const accepted = await suite.http.start(uniqueEmail('devices-start'), { device: laptop() });
    const refused = await suite.http.start(uniqueEmail('devices-start'), { device: { screen: 'wide' } });

    // Assess
    expect(accepted.status).toBe(202);
    expect(refused).toMatchObject({ status: 400, body: { field: 'device.screen' } });
  });
});

describe('refreshing from a device', () => {
  it('refuses a refresh token replayed from another machine, audits it, and leaves the token working', async () => {
    // Prepare
    const ada = await signIn(uniqueEmail('devices-replay'), laptop());

    // Act
    const replayed = await refresh(ada.refreshToken, desktop);
    const updated = await refresh(ada.refreshToken, laptop(CHROME_131_MAC));

    // Assess
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ code: 'invalid_grant' });
    expect(updated.status).toBe(200);
    const mismatch = (await trail(ada.email)).filter((record) => record.action === 'refresh-device-mismatch');
    expect(mismatch).toEqual([
      expect.objectContaining({
        reason: 'another-device',
        differing: expect.stringContaining('screen'),
        sessionId: decodeJwt(ada.accessToken).sid,
        deviceId: expect.stringMatching(/^dev_/),
      }),
    ]);
  });

  it('refuses a refresh that describes no device for a session bound to one', async () => {
    // Prepare
    const ada = await signIn(uniqueEmail('devices-undescribed'), laptop());

    // Act
    const refreshed = await refresh(ada.refreshToken);

    // Assess
    expect(refreshed.status).toBe(401);
  });
});

describe('revoking a device', () => {
  it('ends every session bound to it: their refresh tokens stop working; other devices keep theirs', async () => {
    // Prepare
    const email = uniqueEmail('devices-revoke');
    const onLaptop = await signIn(email, laptop());
    const againOnLaptop = await signIn(email, laptop(CHROME_131_MAC));
    const onPhone = await signIn(email, phone);
    const devices = (await devicesRoute(onPhone, 'GET')).body.devices as { id: string; os: string }[];
    const laptopId = devices.find((device) => device.os === 'macOS')?.id as string;

    // Act
    const revoked = await devicesRoute(onPhone, 'DELETE', laptopId);

    // Assess
    expect(revoked.status).toBe(204);
    expect((await refresh(onLaptop.refreshToken, laptop())).status).toBe(401);
    expect((await refresh(againOnLaptop.refreshToken, laptop())).status).toBe(401);
    expect((await devicesRoute(onLaptop, 'GET')).status).toBe(401);
    expect((await devicesRoute(againOnLaptop, 'GET')).status).toBe(401);
    expect((await refresh(onPhone.refreshToken, phone)).status).toBe(200);
    expect((await devicesRoute(onPhone, 'GET')).body.devices).toEqual([
      expect.objectContaining({ os: 'iOS' }),
    ]);
    const actions = (await trail(email)).map((record) => record.action);
    expect(actions.filter((action) => action === 'device-revoked')).toHaveLength(1);
    expect(actions.filter((action) => action === 'session-ended')).toHaveLength(2);
  });

  it('signing in again from a revoked device is a new device', async () => {
    // Prepare
    const email = uniqueEmail('devices-again');
    const first = await signIn(email, laptop());
    const [{ id }] = (await devicesRoute(first, 'GET')).body.devices as [{ id: string }];
    await devicesRoute(first, 'DELETE', id);

    // Act
    const again = await signIn(email, laptop());

    // Assess
    const devices = (await devicesRoute(again, 'GET')).body.devices as [{ id: string }];
    expect(devices).toHaveLength(1);
    expect(devices[0]?.id).not.toBe(id);
    expect(newDeviceEvents(again.userId)).toHaveLength(2);
  });

  it("answers 404 for another user's device and for a device there never was", async () => {
    // Prepare
    const ada = await signIn(uniqueEmail('devices-ada'), laptop());
    const grace = await signIn(uniqueEmail('devices-grace'), phone);
    const [{ id: gracesDevice }] = (await devicesRoute(grace, 'GET')).body.devices as [{ id: string }];

    // Act
    const foreign = await devicesRoute(ada, 'DELETE', gracesDevice);
    const unknown = await devicesRoute(ada, 'DELETE', 'dev_AAAAAAAAAAAAAAAAAAAAAA');
    const malformed = await devicesRoute(ada, 'DELETE', 'not-a-device');

    // Assess
    for (const answer of [foreign, unknown, malformed]) {
      expect(answer).toMatchObject({ status: 404, body: { code: 'not_found' } });
    }
    expect((await refresh(grace.refreshToken, phone)).status).toBe(200);
  });
});

describe('binding a device', () => {
  const KEY = {
    kty: 'EC',
    crv: 'P-256',
    x: 'sd22rXFbExU_p3BUR0dwbomcVQfjE6k-b5DKu5r5Jns',
    y: 'H7fkE8xPXplQ2gafSru3b43eqC-fNnBjXFqafD4xWFg',
  };

  it('names the session’s device and registers its public key', async () => {
    // Prepare
    const ada = await signIn(uniqueEmail('devices-bind'), laptop());

    // Act
    const bound = await devicesRoute(ada, 'POST', undefined, {
      device: { ...laptop(CHROME_131_MAC), name: "Ada's laptop", publicKey: KEY },
    });

    // Assess
    expect(bound.status).toBe(201);
    expect(bound.body).toMatchObject({ name: "Ada's laptop", bound: true, current: true, publicKey: KEY });
    expect((await devicesRoute(ada, 'GET')).body.devices).toEqual([
      expect.objectContaining({ id: bound.body.id, name: "Ada's laptop", bound: true }),
    ]);
    expect((await trail(ada.email)).map((record) => record.action)).toContain('device-bound');
  });

  it('refuses to re-point the session’s device at another machine', async () => {
    // Prepare
    const ada = await signIn(uniqueEmail('devices-repoint'), laptop());

    // Act
    const bound = await devicesRoute(ada, 'POST', undefined, { device: { ...desktop, name: 'not mine' } });

    // Assess
    expect(bound).toMatchObject({ status: 409, body: { code: 'device_mismatch' } });
    expect((await refresh(ada.refreshToken, desktop)).status).toBe(401);
  });

  it('keeps what a binding leaves out, so a bare user agent cannot widen the device to other machines', async () => {
    // Prepare: an access token carried to another Mac with Chrome, which binds naming its browser alone.
    const ada = await signIn(uniqueEmail('devices-narrow'), laptop());
    const otherMac = { ...laptop(CHROME_131_MAC), screen: '2560x1440', hardwareConcurrency: 12 };

    // Act
    const bound = await devicesRoute(ada, 'POST', undefined, {
      device: { name: 'mine now', userAgent: CHROME_131_MAC },
    });

    // Assess
    expect(bound.status).toBe(201);
    expect((await refresh(ada.refreshToken, otherMac)).status).toBe(401);
    expect((await refresh(ada.refreshToken, laptop(CHROME_131_MAC))).status).toBe(200);
  });

  it('refuses a private key, naming the field', async () => {
    // Prepare
    const ada = await signIn(uniqueEmail('devices-private'), laptop());

    // Act
    const bound = await devicesRoute(ada, 'POST', undefined, {
      device: { ...laptop(), name: 'laptop', publicKey: { ...KEY, d: 'x'.repeat(43) } },
    });

    // Assess
    expect(bound).toMatchObject({
      status: 400,
      body: {
        code: 'invalid_request',
        field: 'device.publicKey',
        detail: expect.stringContaining('private'),
      },
    });
  });

  it('gives a session that signed in without a device one, and holds its refresh to it from then on', async () => {
    // Prepare
    const ada = await signIn(uniqueEmail('devices-late'));

    // Act
    const bound = await devicesRoute(ada, 'POST', undefined, { device: { ...laptop(), name: 'laptop' } });

    // Assess
    expect(bound).toMatchObject({ status: 201, body: { current: true, bound: true } });
    expect((await summaryOf(ada.accessToken))?.deviceId).toBe(bound.body.id);
    expect((await refresh(ada.refreshToken, desktop)).status).toBe(401);
    expect((await refresh(ada.refreshToken, laptop(CHROME_131_MAC))).status).toBe(200);
  });
});
