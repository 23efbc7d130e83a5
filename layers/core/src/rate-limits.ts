/**
 * Send budgets, per fixed window, every one enforced by a conditional write. Counters that nest
 * share one item so that one write decides both: an IP and its /24 (IPv6: /48) network, a phone
 * number and its prefix (E.164 minus the last 4 digits), the whole deployment and each SMS
 * destination country. That keeps a sign-in at three counter writes; a fourth, per autonomous
 * system, when a trusted proxy names the client's ASN.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Config } from './config.ts';
import { RateLimited } from './errors.ts';
import { type Identifier, identifierKey } from './identifier.ts';
import type { CounterStore } from './ports.ts';

export type RateLimits = Config['rateLimit'];

/** Past this share of any budget a start counts as risky, and captcha may be asked for. */
const ELEVATED_SHARE = 0.5;

/** What the counters say about this start, for the steps after it (captcha escalation). */
export type RateLimitOutcome = { elevated: boolean };

export async function enforceRateLimits(
  deps: { counters: CounterStore; config: RateLimits },
  input: { identifier: Identifier; sourceIp: string | undefined; asn?: string | undefined; now: number },
): Promise<RateLimitOutcome> {
  const { counters, config } = deps;
  const { identifier, sourceIp, asn } = input;
  const budgets: { key: string; counters: { name: string; limit: number }[] }[] = [
    identifier.kind === 'phone'
      ? {
          key: `prefix#${identifier.value.slice(0, -4)}`,
          counters: [
            { name: 'n', limit: config.perPhonePrefix },
            { name: `n_${identifier.value.slice(-4)}`, limit: config.perIdentifier },
          ],
        }
      : { key: `id#${identifierKey(identifier)}`, counters: [{ name: 'n', limit: config.perIdentifier }] },
    {
      key: 'global',
      counters: [
        { name: 'n', limit: config.global },
        ...(identifier.kind === 'phone'
          ? [{ name: `c_${identifier.country ?? 'unknown'}`, limit: config.perCountry }]
          : []),
      ],
    },
  ];
  const network = sourceIp ? networkOf(sourceIp) : undefined;
  if (sourceIp && network) {
    budgets.push({
      key: `net#${network}`,
      counters: [
        { name: 'n', limit: config.perNetwork },
        { name: `ip_${sourceIp}`, limit: config.perIp },
      ],
    });
  }
  if (asn) budgets.push({ key: `asn#${asn}`, counters: [{ name: 'n', limit: config.perAsn }] });
  const results = await Promise.all(
    budgets.map((budget) => counters.hit(budget.key, budget.counters, config.windowSeconds, input.now)),
  );
  const denied = results.filter((result) => !result.allowed);
  if (denied.length > 0)
    throw new RateLimited(Math.max(...denied.map((result) => result.retryAfterMs)) / 1000);
  const elevated = results.some((result, i) =>
    (budgets[i]?.counters ?? []).some(
      ({ name, limit }) => (result.counts?.[name] ?? 0) > limit * ELEVATED_SHARE,
    ),
  );
  return { elevated };
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
