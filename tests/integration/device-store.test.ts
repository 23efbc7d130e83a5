/**
 * A user's devices in the accounts table (DynamoDB Local): listed consistently, seen, bound and
 * revoked, each a single conditional write, so callers racing on one device agree on the outcome.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { DEVICE_RETENTION_MS } from '../../layers/core/src/devices.ts';
import type { DeviceRecord } from '../../layers/core/src/ports.ts';
import { generateId } from '../../layers/core/src/secrets.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import { stores, TABLES } from '../support/core-fixtures.ts';

const { db, devices, sessions } = stores();
const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const KEY = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } as const;

/** A device of a user of its own, first seen at `now`. */
async function recorded(now = Date.now(), more: Partial<DeviceRecord> = {}): Promise<DeviceRecord> {
  const device: DeviceRecord = {
    deviceId: generateId(systemRandom, 'dev'),
    userId: generateId(systemRandom, 'usr'),
    attributes: { userAgent: CHROME_MAC, screen: '1512x982', timezone: 'Europe/London' },
    createdAt: now,
    lastSeenAt: now,
    lastNetwork: '198.51.100.0/24',
    ...more,
  };
  await devices.create(device);
  return device;
}

const rawItem = async (device: DeviceRecord) =>
  (
    await db.send(
      new GetCommand({
        TableName: TABLES.accounts,
        Key: { pk: device.userId, sk: `device#${device.deviceId}` },
      }),
    )
  ).Item;

describe('recording and listing devices', () => {
  it('lists the user’s devices as recorded, and no other user’s', async () => {
    // Prepare
    const first = await recorded(1_000);
    const second = await recorded(2_000, { userId: first.userId });
    await recorded(3_000);

    // Act
    const listed = await devices.list(first.userId);

    // Assess
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(expect.arrayContaining([first, second]));
  });

  it('keeps the device by TTL for DEVICE_RETENTION_MS after it was last seen, and holds no identifier', async () => {
    // Prepare
    const now = Date.now();
    const device = await recorded(now);

    // Act
    await devices.touch(device.userId, device.deviceId, {
      now: now + 5_000,
      network: 'unknown',
      attributes: {},
    });
    const item = await rawItem(device);

    // Assess
    expect(item?.ttl).toBeGreaterThanOrEqual(Math.ceil((now + 5_000 + DEVICE_RETENTION_MS) / 1000));
    expect(JSON.stringify(item)).not.toMatch(/email#|phone#|@/);
  });

  it('never records one device id twice', async () => {
    // Prepare
    const device = await recorded();

    // Act
    const again = devices.create({ ...device, lastNetwork: 'unknown' });

    // Assess
    await expect(again).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('finds a device only under its own user', async () => {
    // Prepare
    const device = await recorded();

    // Act
    const [own, foreign] = await Promise.all([
      devices.find(device.userId, device.deviceId),
      devices.find(generateId(systemRandom, 'usr'), device.deviceId),
    ]);

    // Assess
    expect(own).toEqual(device);
    expect(foreign).toBeUndefined();
  });
});

describe('seeing a device', () => {
  it('notes when and where, and what the sighting named over what it left out', async () => {
    // Prepare
    const device = await recorded(1_000);

    // Act
    const seen = await devices.touch(device.userId, device.deviceId, {
      now: 9_000,
      network: '203.0.113.0/24',
      attributes: { timezone: 'Europe/Paris', language: 'fr-FR' },
    });

    // Assess
    expect(seen).toBe(true);
    expect(await devices.find(device.userId, device.deviceId)).toMatchObject({
      lastSeenAt: 9_000,
      lastNetwork: '203.0.113.0/24',
      attributes: { userAgent: CHROME_MAC, screen: '1512x982', timezone: 'Europe/Paris', language: 'fr-FR' },
    });
  });

  it('does not see a revoked or unknown device', async () => {
    // Prepare
    const device = await recorded(1_000);
    await devices.revoke(device.userId, device.deviceId, 2_000);
    const sighting = { now: 3_000, network: 'unknown', attributes: {} };

    // Act
    const [revoked, unknown] = await Promise.all([
      devices.touch(device.userId, device.deviceId, sighting),
      devices.touch(device.userId, generateId(systemRandom, 'dev'), sighting),
    ]);

    // Assess
    expect([revoked, unknown]).toEqual([false, false]);
    expect(await devices.find(device.userId, device.deviceId)).toMatchObject({ lastSeenAt: 1_000 });
  });
});

describe('binding a device', () => {
  it('sets its name, attributes and key at once', async () => {
    // Prepare
    const device = await recorded(1_000);

    // Act
    const bound = await devices.bind(device.userId, device.deviceId, {
      name: "Ada's laptop",
      attributes: { userAgent: CHROME_MAC, hardwareConcurrency: 8 },
      publicKey: KEY,
      now: 5_000,
    });

    // Assess
    expect(bound).toEqual({
      ...device,
      name: "Ada's laptop",
      attributes: { userAgent: CHROME_MAC, hardwareConcurrency: 8 },
      publicKey: KEY,
      boundAt: 5_000,
      lastSeenAt: 5_000,
    });
  });

  it('of parallel binds, leaves the device as exactly one of them, never a mix', async () => {
    // Prepare
    const device = await recorded(1_000);
    const bindings = Array.from({ length: 10 }, (_, n) => ({
      name: `laptop ${n}`,
      attributes: { userAgent: CHROME_MAC, hardwareConcurrency: n + 1 },
      ...(n % 2 === 0 ? { publicKey: { ...KEY, x: `${KEY.x.slice(0, -1)}${n}` } } : {}),
      now: 5_000 + n,
    }));

    // Act
    const results = await Promise.all(
      bindings.map((binding) => devices.bind(device.userId, device.deviceId, binding)),
    );
    const final = await devices.find(device.userId, device.deviceId);

    // Assess
    expect(results.every((result) => result !== undefined)).toBe(true);
    const winner = bindings.find((binding) => binding.name === final?.name);
    expect(final).toEqual({
      ...device,
      name: winner?.name,
      attributes: winner?.attributes,
      ...(winner?.publicKey ? { publicKey: winner.publicKey } : {}),
      boundAt: winner?.now,
      lastSeenAt: winner?.now,
    });
  });

  it('does not bind a revoked device', async () => {
    // Prepare
    const device = await recorded(1_000);
    await devices.revoke(device.userId, device.deviceId, 2_000);

    // Act
    const bound = await devices.bind(device.userId, device.deviceId, {
      name: 'again',
      attributes: {},
      now: 3_000,
    });

    // Assess
    expect(bound).toBeUndefined();
    expect(await devices.find(device.userId, device.deviceId)).not.toHaveProperty('name');
  });
});

describe('revoking a device', () => {
  it('of 20 parallel revocations, exactly one revokes; the rest find it revoked', async () => {
    // Prepare
    const device = await recorded(1_000);

    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, n) => devices.revoke(device.userId, device.deviceId, 2_000 + n)),
    );

    // Assess
    expect(outcomes.filter((outcome) => outcome === 'revoked')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'already-revoked')).toHaveLength(19);
    const revokedAt = (await devices.find(device.userId, device.deviceId))?.revokedAt;
    expect(revokedAt).toBe(2_000 + outcomes.indexOf('revoked'));
  });

  it('knows no device of another user, and creates none', async () => {
    // Prepare
    const device = await recorded(1_000);
    const stranger = generateId(systemRandom, 'usr');

    // Act
    const outcome = await devices.revoke(stranger, device.deviceId, 2_000);

    // Assess
    expect(outcome).toBe('unknown');
    expect(await devices.list(stranger)).toEqual([]);
    expect(await devices.find(device.userId, device.deviceId)).not.toHaveProperty('revokedAt');
  });
});

describe('a device for a session that had none', () => {
  const openSession = async (userId: string) => {
    const now = Date.now();
    const session = {
      sessionId: generateId(systemRandom, 'ses'),
      userId,
      identifierKey: 'email#ada@example.com',
      createdAt: now,
      absoluteExpiresAt: now + 86_400_000,
      method: 'otp' as const,
      network: 'unknown',
    };
    await sessions.createSession(session, generateId(systemRandom, 'rt'), now + 86_400_000);
    return session;
  };
  const fresh = (userId: string): DeviceRecord => ({
    deviceId: generateId(systemRandom, 'dev'),
    userId,
    name: 'laptop',
    attributes: { userAgent: CHROME_MAC },
    createdAt: 1_000,
    lastSeenAt: 1_000,
    boundAt: 1_000,
    lastNetwork: 'unknown',
  });

  it('of 10 parallel requests, one creates its device and binds the session; the others write nothing', async () => {
    // Prepare
    const userId = generateId(systemRandom, 'usr');
    const session = await openSession(userId);
    const candidates = Array.from({ length: 10 }, () => fresh(userId));

    // Act
    const results = await Promise.all(
      candidates.map((device) => devices.createForSession(device, session.sessionId)),
    );

    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = candidates[results.indexOf(true)];
    expect((await sessions.findSession(userId, session.sessionId))?.deviceId).toBe(winner?.deviceId);
    expect(await devices.list(userId)).toEqual([winner]);
  });

  it('binds no ended session', async () => {
    // Prepare
    const userId = generateId(systemRandom, 'usr');
    const session = await openSession(userId);
    await sessions.endSession(userId, session.sessionId, Date.now(), 'logout');

    // Act
    const created = await devices.createForSession(fresh(userId), session.sessionId);

    // Assess
    expect(created).toBe(false);
    expect(await devices.list(userId)).toEqual([]);
  });
});
