/**
 * Telling devices apart from what they say about themselves (DeviceDescription). A device is one
 * browser or app on one machine: its refresh tokens live in that browser's storage, so Chrome and
 * Firefox on one laptop are two devices, and Chrome before and after an update is one.
 *
 * The rule: every attribute that an update never changes (browser and OS family, device class and
 * model, platform, screen in either orientation, colour depth, CPU threads, memory, touch points)
 * must agree wherever both descriptions name it, and versions are never compared. Timezone and
 * language are habits (travel, a setting), so one of the two may differ; and the descriptions must
 * agree on at least one attribute, so a description that says nothing matches nothing. The browser
 * and OS family of a device known by its user agent must be named too: left out, they would let one
 * guessable attribute (colour depth 24, a timezone) stand for any device.
 */
import type { DeviceDescription } from './ports.ts';

/**
 * A device not seen for this long is forgotten (the accounts table's TTL): longer than any session
 * lasts, so a forgotten device has no session left, and a person who signs in once a year is still
 * recognised.
 */
export const DEVICE_RETENTION_MS = 400 * 86_400_000;

/** What a user agent says that survives updates. Undefined: it does not say. */
export type UserAgentTraits = {
  /** `Chrome`, `Safari`, `Firefox`, `Edge`, `Opera`, `Samsung Internet`, or an app's product name. */
  browser: string | undefined;
  /** `Windows`, `macOS`, `iOS`, `iPadOS`, `Android`, `ChromeOS`, `Linux`. */
  os: string | undefined;
  /**
   * The OS version where browsers froze it and only a reinstall changes it: Windows' NT version
   * (6.1 for Windows 7, 10.0 for 10 and 11). Elsewhere it moves with every update (iOS, Android) or
   * is frozen for everyone (macOS 10_15_7), so it tells nothing.
   */
  osMajor: string | undefined;
  deviceClass: 'mobile' | 'tablet' | 'desktop' | undefined;
  /** The hardware model an Android user agent names (`Pixel 8`); reduced user agents say `K`. */
  model: string | undefined;
};

/** Browser families, most specific first: Edge, Opera and Samsung Internet all say `Chrome/` too. */
const BROWSERS: [family: string, token: RegExp][] = [
  ['Edge', /\b(?:Edg|EdgA|EdgiOS|Edge)\//],
  ['Opera', /\b(?:OPR|OPiOS|Opera)\//],
  ['Samsung Internet', /\bSamsungBrowser\//],
  ['Firefox', /\b(?:Firefox|FxiOS)\//],
  ['Chrome', /\b(?:CriOS|Chrome|Chromium)\//],
  ['Safari', /\bVersion\/[\d.]+.*\bSafari\//],
];

const NOT_A_MODEL = new Set(['K', 'Mobile', 'Tablet', 'wv', 'U']);

export function parseUserAgent(userAgent: string | undefined): UserAgentTraits {
  const ua = userAgent ?? '';
  const traits: UserAgentTraits = {
    browser: undefined,
    os: undefined,
    osMajor: undefined,
    deviceClass: undefined,
    model: undefined,
  };
  if (ua === '') return traits;
  traits.browser = BROWSERS.find(([, token]) => token.test(ua))?.[0];
  if (!traits.browser && !ua.startsWith('Mozilla/')) {
    // An app or a tool names itself first (`curl/8.5.0`, `MyApp/2.1 (iOS)`): its name, not its version.
    traits.browser = /^([^/\s]+)/.exec(ua)?.[1];
  }
  const android = /\bAndroid(?: ([\d.]+))?(?:; ([^;)]+))?/.exec(ua);
  if (/\biPhone\b/.test(ua)) {
    traits.os = 'iOS';
    traits.deviceClass = 'mobile';
  } else if (/\biPad\b/.test(ua)) {
    traits.os = 'iPadOS';
    traits.deviceClass = 'tablet';
  } else if (android) {
    traits.os = 'Android';
    traits.deviceClass = /\bMobile\b/.test(ua) ? 'mobile' : 'tablet';
    const model = android[2]?.replace(/\s+Build\/.*$/, '').trim();
    // Not a model: the reduced user agent's `K`, Firefox's `Mobile`/`Tablet`, an old UA's locale.
    if (model && !NOT_A_MODEL.has(model) && !/^[a-z]{2}(?:[-_][a-z]{2})?$/i.test(model)) traits.model = model;
  } else if (/\bWindows NT\b/.test(ua)) {
    traits.os = 'Windows';
    traits.osMajor = /\bWindows NT ([\d.]+)/.exec(ua)?.[1];
    traits.deviceClass = 'desktop';
  } else if (/\bCrOS\b/.test(ua)) {
    traits.os = 'ChromeOS';
    traits.deviceClass = 'desktop';
  } else if (/\b(?:Macintosh|Mac OS X)\b/.test(ua)) {
    // An iPad's Safari says Macintosh too; touchPoints tells them apart (see STABLE below).
    traits.os = 'macOS';
    traits.deviceClass = 'desktop';
  } else if (/\bLinux\b/.test(ua)) {
    traits.os = 'Linux';
    traits.deviceClass = 'desktop';
  }
  return traits;
}

/** What a person reads about a device: `Chrome` on `macOS`; `unknown` where the description is silent. */
export function deviceSummary(device: DeviceDescription | undefined): { browser: string; os: string } {
  const traits = parseUserAgent(device?.userAgent);
  return { browser: traits.browser ?? 'unknown', os: traits.os ?? device?.platform ?? 'unknown' };
}

type Comparable = string | number | undefined;

/** The attributes an update never changes, each normalised so that equal devices compare equal. */
const STABLE: Record<string, (device: DeviceDescription, ua: UserAgentTraits) => Comparable> = {
  browser: (_, ua) => ua.browser?.toLowerCase(),
  os: (_, ua) => ua.os,
  osMajor: (_, ua) => ua.osMajor,
  deviceClass: (_, ua) => ua.deviceClass,
  model: (_, ua) => ua.model?.toLowerCase(),
  // `Linux armv8l` and `Linux aarch64` are one phone before and after a 64-bit browser build.
  platform: (device) => device.platform?.trim().split(/\s+/)[0]?.toLowerCase(),
  // Phones swap width and height when turned; the pair is the screen, not its orientation.
  screen: (device) =>
    device.screen
      ?.split('x')
      .map(Number)
      .sort((a, b) => a - b)
      .join('x'),
  colorDepth: (device) => device.colorDepth,
  hardwareConcurrency: (device) => device.hardwareConcurrency,
  deviceMemory: (device) => device.deviceMemory,
  touchPoints: (device) => device.touchPoints,
};

/** Habits rather than hardware: one of them may change between two sightings of one device. */
const HABITS: Record<string, (device: DeviceDescription) => Comparable> = {
  timezone: (device) => device.timezone,
  language: (device) => device.language?.toLowerCase(),
};

export type DeviceComparison = {
  same: boolean;
  /** Attributes both name and agree on. */
  agreed: string[];
  /** Attributes both name and disagree on. */
  differing: string[];
};

/** Whether two descriptions are one device, by the rule at the top of this module. */
export function compareDevices(
  known: DeviceDescription | undefined,
  presented: DeviceDescription | undefined,
): DeviceComparison {
  const agreed: string[] = [];
  const differing: string[] = [];
  if (!known || !presented) return { same: false, agreed, differing };
  const knownUa = parseUserAgent(known.userAgent);
  const presentedUa = parseUserAgent(presented.userAgent);
  const judge = (name: string, left: Comparable, right: Comparable) => {
    if (left === undefined || right === undefined) return 0;
    (left === right ? agreed : differing).push(name);
    return left === right ? 0 : 1;
  };
  let stableDiffering = 0;
  // Every browser says what it is; a description silent on it is not a quieter one of this device.
  for (const trait of ['browser', 'os'] as const) {
    if (knownUa[trait] !== undefined && presentedUa[trait] === undefined) {
      differing.push(trait);
      stableDiffering += 1;
    }
  }
  for (const [name, read] of Object.entries(STABLE)) {
    stableDiffering += judge(name, read(known, knownUa), read(presented, presentedUa));
  }
  let habitsDiffering = 0;
  for (const [name, read] of Object.entries(HABITS)) {
    habitsDiffering += judge(name, read(known), read(presented));
  }
  const same = stableDiffering === 0 && habitsDiffering <= 1 && agreed.length > 0;
  return { same, agreed, differing };
}

export function sameDevice(known: DeviceDescription | undefined, presented: DeviceDescription | undefined) {
  return compareDevices(known, presented).same;
}

/**
 * The known device `presented` is, among `devices`: of those it matches, the one it agrees with on
 * most attributes, then the one seen last. Revoked devices are never matched: signing in again from
 * one is a new device.
 */
export function recogniseDevice<
  D extends { attributes: DeviceDescription; lastSeenAt: number; revokedAt?: number },
>(devices: D[], presented: DeviceDescription | undefined): D | undefined {
  let best: { device: D; agreed: number } | undefined;
  for (const device of devices) {
    if (device.revokedAt !== undefined) continue;
    const comparison = compareDevices(device.attributes, presented);
    if (!comparison.same) continue;
    const agreed = comparison.agreed.length;
    if (
      !best ||
      agreed > best.agreed ||
      (agreed === best.agreed && device.lastSeenAt > best.device.lastSeenAt)
    ) {
      best = { device, agreed };
    }
  }
  return best?.device;
}
