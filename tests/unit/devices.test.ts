/**
 * Recognising a device from what it says about itself: a browser or OS update is the same device,
 * another machine, another browser or another screen is not. User agents are real ones, as the
 * browsers named send them.
 */
import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import { parseDevicePublicKey } from '../../layers/core/src/device-sessions.ts';
import {
  compareDevices,
  deviceSummary,
  parseUserAgent,
  recogniseDevice,
  sameDevice,
} from '../../layers/core/src/devices.ts';
import type { DeviceDescription } from '../../layers/core/src/ports.ts';
import { desktop, iphone, mac, UA } from '../support/devices.ts';

describe('parsing a user agent keeps what survives updates', () => {
  it.each([
    [UA.chrome131Windows, { browser: 'Chrome', os: 'Windows', osMajor: '10.0', deviceClass: 'desktop' }],
    [UA.edge131Windows, { browser: 'Edge', os: 'Windows', deviceClass: 'desktop' }],
    [UA.firefox132Windows, { browser: 'Firefox', os: 'Windows', deviceClass: 'desktop' }],
    [UA.safari17Mac, { browser: 'Safari', os: 'macOS', osMajor: undefined, deviceClass: 'desktop' }],
    [UA.chrome131Mac, { browser: 'Chrome', os: 'macOS', deviceClass: 'desktop' }],
    [UA.safariIos17, { browser: 'Safari', os: 'iOS', osMajor: undefined, deviceClass: 'mobile' }],
    [UA.chromeIos, { browser: 'Chrome', os: 'iOS', deviceClass: 'mobile' }],
    [UA.chromeAndroidReduced, { browser: 'Chrome', os: 'Android', deviceClass: 'mobile', model: undefined }],
    [UA.chromePixel8, { browser: 'Chrome', os: 'Android', model: 'Pixel 8' }],
    [UA.samsungInternet, { browser: 'Samsung Internet', os: 'Android', model: 'SM-S918B' }],
    [UA.firefoxAndroid, { browser: 'Firefox', os: 'Android', deviceClass: 'mobile', model: undefined }],
    [UA.firefox132Ubuntu, { browser: 'Firefox', os: 'Linux', deviceClass: 'desktop' }],
    [UA.chromeOs, { browser: 'Chrome', os: 'ChromeOS', deviceClass: 'desktop' }],
    [UA.curl85, { browser: 'curl', os: undefined, deviceClass: undefined }],
  ])('%s', (userAgent, expected) => {
    // Act
    const traits = parseUserAgent(userAgent);

    // Assess
    expect(traits).toMatchObject(expected);
  });

  it('summarises a device for people as browser and OS', () => {
    expect(deviceSummary({ userAgent: UA.safariIos18 })).toEqual({ browser: 'Safari', os: 'iOS' });
    expect(deviceSummary({ platform: 'MacIntel' })).toEqual({ browser: 'unknown', os: 'MacIntel' });
    expect(deviceSummary(undefined)).toEqual({ browser: 'unknown', os: 'unknown' });
  });
});

describe('an update is the same device', () => {
  it.each([
    ['Chrome 130 → 131 on Windows', desktop(UA.chrome130Windows), desktop(UA.chrome131Windows)],
    ['Safari 17 → 18 on a Mac', mac(UA.safari17Mac), mac(UA.safari18Mac)],
    ['iOS 17 → 18 with its Safari', iphone(UA.safariIos17), iphone(UA.safariIos18)],
    ['Firefox 131 → 132 on Ubuntu', { userAgent: UA.firefox131Ubuntu }, { userAgent: UA.firefox132Ubuntu }],
    [
      'an app that names only its user agent, after an update',
      { userAgent: UA.curl85 },
      { userAgent: UA.curl86 },
    ],
  ])('%s', (_, before, after) => {
    // Act
    const comparison = compareDevices(before, after);

    // Assess
    expect(comparison).toMatchObject({ same: true, differing: [] });
  });

  it('a 64-bit build of the browser (platform `Linux armv8l` → `Linux aarch64`) is the same phone', () => {
    const android = { userAgent: UA.chromeAndroidReduced, screen: '412x915', touchPoints: 5 };
    expect(
      sameDevice({ ...android, platform: 'Linux armv8l' }, { ...android, platform: 'Linux aarch64' }),
    ).toBe(true);
  });

  it('a phone turned on its side is the same phone', () => {
    expect(sameDevice(iphone(UA.safariIos17), iphone(UA.safariIos17, { screen: '852x393' }))).toBe(true);
  });

  it('travelling (another timezone) is the same device', () => {
    expect(
      sameDevice(desktop(UA.chrome130Windows), desktop(UA.chrome131Windows, { timezone: 'Europe/Paris' })),
    ).toBe(true);
  });

  it('a description that names fewer attributes still matches what it names', () => {
    // The first sign-in sent a full description; a refresh through fetch() sends only its User-Agent.
    expect(sameDevice(desktop(UA.chrome130Windows), { userAgent: UA.chrome131Windows })).toBe(true);
  });
});

describe('another machine, browser or screen is another device', () => {
  it.each([
    [
      'Safari on an iPhone and Safari on a Mac',
      iphone(UA.safariIos17),
      mac(UA.safari17Mac),
      ['os', 'deviceClass'],
    ],
    [
      'the same model of desktop with another screen',
      desktop(UA.chrome131Windows),
      desktop(UA.chrome131Windows, { screen: '1920x1080' }),
      ['screen'],
    ],
    [
      'another CPU',
      desktop(UA.chrome131Windows),
      desktop(UA.chrome131Windows, { hardwareConcurrency: 8 }),
      ['hardwareConcurrency'],
    ],
    [
      'another memory size',
      desktop(UA.chrome131Windows),
      desktop(UA.chrome131Windows, { deviceMemory: 4 }),
      ['deviceMemory'],
    ],
    ['another colour depth', mac(UA.safari18Mac), mac(UA.safari18Mac, { colorDepth: 24 }), ['colorDepth']],
    [
      'another platform',
      desktop(UA.chrome131Windows),
      desktop(UA.chrome131Windows, { platform: 'Linux x86_64' }),
      ['platform'],
    ],
    ['Chrome and Edge on one PC', desktop(UA.chrome131Windows), desktop(UA.edge131Windows), ['browser']],
    [
      'Chrome and Firefox on one PC',
      desktop(UA.chrome131Windows),
      desktop(UA.firefox132Windows),
      ['browser'],
    ],
    ['Safari and Chrome on one iPhone', iphone(UA.safariIos17), iphone(UA.chromeIos), ['browser']],
    ['Windows 7 and Windows 10', desktop(UA.chrome109Windows7), desktop(UA.chrome131Windows), ['osMajor']],
    ['a Pixel 8 and a Pixel 7', { userAgent: UA.chromePixel8 }, { userAgent: UA.chromePixel7 }, ['model']],
    ['a Chromebook and a Windows PC', { userAgent: UA.chromeOs }, { userAgent: UA.chrome131Windows }, ['os']],
    // An iPad's Safari says Macintosh; only the touch screen tells it from the Mac.
    [
      'an iPad in desktop mode and a Mac',
      mac(UA.safari18Mac, { touchPoints: 5 }),
      mac(UA.safari18Mac),
      ['touchPoints'],
    ],
  ])('%s', (_, known, presented, differing) => {
    // Act
    const comparison = compareDevices(known, presented);

    // Assess
    expect(comparison.same).toBe(false);
    expect(comparison.differing).toEqual(expect.arrayContaining(differing));
  });

  it('another timezone and another language at once is another device', () => {
    const comparison = compareDevices(
      desktop(UA.chrome131Windows),
      desktop(UA.chrome131Windows, { timezone: 'Asia/Tokyo', language: 'ja-JP' }),
    );
    expect(comparison).toMatchObject({ same: false, differing: ['timezone', 'language'] });
  });

  it('a description without the user agent cannot pass for a device known by one', () => {
    // Prepare: what a thief can send without knowing anything of the device (no User-Agent header,
    // one attribute most screens or one city share).
    const guesses: DeviceDescription[] = [
      { colorDepth: 24 },
      { touchPoints: 0 },
      { timezone: 'Europe/London' },
      { userAgent: 'Mozilla/5.0', colorDepth: 24 },
    ];

    // Act
    const comparisons = guesses.map((guess) => compareDevices(desktop(UA.chrome131Windows), guess));

    // Assess
    for (const comparison of comparisons) {
      expect(comparison.same).toBe(false);
      expect(comparison.differing).toEqual(expect.arrayContaining(['browser', 'os']));
    }
  });

  it('a description with nothing in common matches nothing', () => {
    expect(sameDevice({ timezone: 'Europe/London' }, { screen: '1920x1080' })).toBe(false);
    expect(sameDevice(desktop(UA.chrome131Windows), undefined)).toBe(false);
    expect(sameDevice(desktop(UA.chrome131Windows), { name: 'My PC' })).toBe(false);
  });
});

describe('recognising one of the user’s devices', () => {
  const seen = (attributes: DeviceDescription, lastSeenAt: number, revokedAt?: number) => ({
    attributes,
    lastSeenAt,
    ...(revokedAt === undefined ? {} : { revokedAt }),
  });

  it('picks the matching device, not the other machines', () => {
    // Prepare
    const phone = seen(iphone(UA.safariIos17), 1);
    const laptop = seen(mac(UA.safari17Mac), 2);

    // Act
    const recognised = recogniseDevice([phone, laptop], mac(UA.safari18Mac));

    // Assess
    expect(recognised).toBe(laptop);
  });

  it('prefers the device it agrees with on most attributes, then the one seen last', () => {
    // Prepare
    const sparse = seen({ userAgent: UA.chrome130Windows }, 3);
    const full = seen(desktop(UA.chrome130Windows), 1);
    const fullLater = seen(desktop(UA.chrome130Windows), 2);

    // Act
    const recognised = recogniseDevice([sparse, full, fullLater], desktop(UA.chrome131Windows));

    // Assess
    expect(recognised).toBe(fullLater);
  });

  it('never recognises a revoked device', () => {
    // Prepare
    const revoked = seen(desktop(UA.chrome130Windows), 1, 5);

    // Act
    const recognised = recogniseDevice([revoked], desktop(UA.chrome131Windows));

    // Assess
    expect(recognised).toBeUndefined();
  });
});

describe('a device’s public key', () => {
  const pair = async (alg: 'ES256' | 'EdDSA') => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    return { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
  };

  it.each(['ES256', 'EdDSA'] as const)('keeps a public %s key as its bare members', async (alg) => {
    // Prepare
    const { publicJwk } = await pair(alg);

    // Act
    const key = await parseDevicePublicKey({ ...publicJwk, kid: 'mine', use: 'sig' }).catch((error) => error);

    // Assess: a kid or use is not part of the key, and is refused rather than silently dropped
    expect(key).toMatchObject({ field: 'device.publicKey', message: expect.stringContaining('only') });
    await expect(parseDevicePublicKey(publicJwk)).resolves.toEqual(publicJwk);
  });

  it('refuses a private key, naming its private members', async () => {
    // Prepare
    const { privateJwk } = await pair('ES256');

    // Act
    const refused = parseDevicePublicKey(privateJwk);

    // Assess
    await expect(refused).rejects.toMatchObject({
      field: 'device.publicKey',
      message: expect.stringContaining('private members (d)'),
    });
  });

  it.each([
    [
      'a point off the curve',
      async () => ({ ...(await pair('ES256')).publicJwk, y: (await pair('ES256')).publicJwk.x }),
    ],
    ['an RSA key', async () => ({ kty: 'RSA', n: 'AQAB', e: 'AQAB' })],
    ['a P-384 key', async () => ({ kty: 'EC', crv: 'P-384', x: 'AA', y: 'AA' })],
    ['an Ed25519 key of the wrong length', async () => ({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' })],
    ['a symmetric key', async () => ({ kty: 'oct', k: 'c2VjcmV0' })],
    ['not an object', async () => 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE'],
  ])('refuses %s', async (_, key) => {
    await expect(parseDevicePublicKey(await key())).rejects.toMatchObject({
      name: 'InvalidRequest',
      field: expect.stringMatching(/^device\.publicKey/),
    });
  });
});
