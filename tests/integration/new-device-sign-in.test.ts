/**
 * Where a sign-in ends (finishSignIn), against DynamoDB Local: the device it comes from is
 * recognised or recorded before the session opens, the session is bound to it, and a new device is
 * told as NewDeviceSignIn — whose failure to publish never costs the person their sign-in.
 */
import { describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import type { ChallengeRecord, DeviceDescription, EventPublisher } from '../../layers/core/src/ports.ts';
import { finishSignIn, type SignInDeps } from '../../layers/core/src/sign-in.ts';
import { deriveSigningKey } from '../../layers/core/src/signing-key.ts';
import { systemClock, systemRandom } from '../../layers/core/src/system.ts';
import { accountAudit, RecordingPublisher, stores } from '../support/core-fixtures.ts';
import { uniqueEmail } from '../support/stack.ts';

const { users, sessions, devices } = stores();
const LAPTOP: DeviceDescription = {
  userAgent:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  screen: '1512x982',
  hardwareConcurrency: 8,
  timezone: 'Europe/London',
};

/** What finishSignIn uses of the verify function's dependencies; the rest is the code check's. */
async function signInDeps(events: EventPublisher, failures: unknown[]): Promise<SignInDeps> {
  const key = await deriveSigningKey('integration-test-signing-seed-'.padEnd(48, 's'));
  return {
    users,
    devices,
    audit: accountAudit(systemClock),
    clock: systemClock,
    random: systemRandom,
    newDevices: { events, stack: 'authkit-test', failed: (error: unknown) => failures.push(error) },
    tokens: {
      sessions,
      clock: systemClock,
      random: systemRandom,
      signingKey: async () => key,
      config: {
        issuer: 'https://auth.test',
        audience: 'authkit',
        idTokenAudience: 'authkit-app',
        accessTtlSeconds: 900,
        refreshIdleSeconds: 86_400,
        refreshAbsoluteSeconds: 30 * 86_400,
      },
    },
  } as unknown as SignInDeps;
}

const challengeFor = (email: string) => ({ identifierKey: `email#${email}` }) as ChallengeRecord;
const context = (device: DeviceDescription | undefined) => ({
  method: 'otp' as const,
  source: { ip: '198.51.100.7' },
  device,
  requestId: 'req-1',
});

describe('finishing a sign-in from a device', () => {
  it('binds the session to a new device and tells it once; the same device again is told nothing', async () => {
    // Prepare
    const events = new RecordingPublisher();
    const deps = await signInDeps(events, []);
    const challenge = challengeFor(uniqueEmail('new-device'));

    // Act
    const first = await finishSignIn(deps, challenge, context(LAPTOP));
    const second = await finishSignIn(deps, challenge, context({ ...LAPTOP, timezone: 'Europe/Paris' }));

    // Assess
    const userId = first.user.id;
    const [device] = await devices.list(userId);
    const session = (token: string) => sessions.findSession(userId, decodeJwt(token).sid as string);
    expect((await session(first.accessToken))?.deviceId).toBe(device?.deviceId);
    expect((await session(second.accessToken))?.deviceId).toBe(device?.deviceId);
    expect(events.published).toEqual([
      {
        detailType: 'NewDeviceSignIn',
        detail: {
          userId,
          deviceId: device?.deviceId,
          sessionId: decodeJwt(first.accessToken).sid,
          device: { browser: 'Chrome', os: 'macOS' },
          network: '198.51.100.0/24',
          signedInAt: expect.any(String),
          stack: 'authkit-test',
        },
      },
    ]);
  });

  it('signs the person in when NewDeviceSignIn cannot be published, and reports the failure', async () => {
    // Prepare
    const failures: unknown[] = [];
    const unreachable: EventPublisher = {
      publish: async () => {
        throw Object.assign(new Error('EventBridge is down'), { name: 'TimeoutError' });
      },
    };
    const deps = await signInDeps(unreachable, failures);

    // Act
    const tokens = await finishSignIn(deps, challengeFor(uniqueEmail('unpublished')), context(LAPTOP));

    // Assess
    expect(tokens.accessToken).toEqual(expect.any(String));
    expect(failures).toEqual([expect.objectContaining({ name: 'TimeoutError' })]);
    expect(await devices.list(tokens.user.id)).toHaveLength(1);
  });

  it('opens a session bound to no device when none is described, and records none', async () => {
    // Prepare
    const events = new RecordingPublisher();
    const deps = await signInDeps(events, []);

    // Act
    const tokens = await finishSignIn(deps, challengeFor(uniqueEmail('no-device')), context(undefined));

    // Assess
    const summary = await sessions.findSession(tokens.user.id, decodeJwt(tokens.accessToken).sid as string);
    expect(summary).toBeDefined();
    expect(summary?.deviceId).toBeUndefined();
    expect(await devices.list(tokens.user.id)).toEqual([]);
    expect(events.published).toEqual([]);
  });
});
