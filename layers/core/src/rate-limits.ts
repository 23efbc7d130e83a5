/**
 * Send budgets, per fixed window, every one enforced by a conditional write. Counters that nest
 * share one item so that one write decides both: an IP and its /24 (IPv6: /48) network, a phone
 * number and its prefix (E.164 minus the last 4 digits), the whole deployment and each SMS
 * destination country. That keeps a sign-in at three counter writes.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Config } from './config.ts';
import { RateLimited } from './errors.ts';
import { type Identifier, identifierKey } from './identifier.ts';
import type { CounterStore } from './ports.ts';

export type RateLimits = Config['rateLimit'];

export async function enforceRateLimits(
  deps: { counters: CounterStore; config: RateLimits },
  input: { identifier: Identifier; sourceIp: string | undefined; now: number },
): Promise<void> {
  const { counters, config } = deps;
  const { identifier, sourceIp, now } = input;
  const hit = (key: string, limits: { name: string; limit: number }[]) =>
    counters.hit(key, limits, config.windowSeconds, now);

  const checks = [
    identifier.kind === 'phone'
      ? hit(`prefix#${identifier.value.slice(0, -4)}`, [
          { name: 'n', limit: config.perPhonePrefix },
          { name: `n_${identifier.value.slice(-4)}`, limit: config.perIdentifier },
        ])
      : hit(`id#${identifierKey(identifier)}`, [{ name: 'n', limit: config.perIdentifier }]),
    hit('global', [
      { name: 'n', limit: config.global },
      ...(identifier.kind === 'phone'
        ? [{ name: `c_${identifier.country ?? 'unknown'}`, limit: config.perCountry }]
        : []),
    ]),
  ];
  const network = sourceIp ? networkOf(sourceIp) : undefined;
  if (sourceIp && network) {
    checks.push(
      hit(`net#${network}`, [
        { name: 'n', limit: config.perNetwork },
        { name: `ip_${sourceIp}`, limit: config.perIp },
      ]),
    );
  }
  const denied = (await Promise.all(checks)).filter((result) => !result.allowed);
  if (denied.length > 0)
    throw new RateLimited(Math.max(...denied.map((result) => result.retryAfterMs)) / 1000);
}

/** The /24 of an IPv4 address or the /48 of an IPv6 one; undefined for anything else. */
export function networkOf(ip: string): string | undefined {
  if (isIPv4(ip)) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(ip)) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return networkOf(mapped[1]);
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 3)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/48`;
}
