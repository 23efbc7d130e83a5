/**
 * Send budgets, per fixed window. Counters that nest share one item so that one condition decides
 * both: an IP and its /24 (IPv6: /48) network, a phone number and its prefix (E.164 minus the last
 * 4 digits), the whole deployment and each SMS destination country; a fourth item per autonomous
 * system when a trusted proxy names the client's ASN.
 *
 * Budgets are spent only by the write that claims a send, all in one transaction (ChallengeStore),
 * so a request refused by anything — one budget, the denylist, captcha, the cool-down — spends
 * none. Before that, `assessBudgets` reads them: a budget already spent refuses early, and one past
 * half makes the start risky.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Config } from './config.ts';
import { RateLimited } from './errors.ts';
import { type Identifier, screeningKey } from './identifier.ts';
import type { Budget, BudgetSpend, CounterStore, Source } from './ports.ts';

export type RateLimits = Config['rateLimit'];

/** Past this share of any budget a start counts as risky, and captcha may be asked for. */
const ELEVATED_SHARE = 0.5;

export function budgetsFor(config: RateLimits, identifier: Identifier, source: Source): Budget[] {
  const budgets: Budget[] = [
    identifier.kind === 'phone'
      ? {
          key: `prefix#${identifier.value.slice(0, -4)}`,
          counters: [
            { name: 'n', limit: config.perPhonePrefix },
            { name: `n_${identifier.value.slice(-4)}`, limit: config.perIdentifier },
          ],
        }
      : { key: `id#${screeningKey(identifier)}`, counters: [{ name: 'n', limit: config.perIdentifier }] },
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
  const network = source.ip ? networkOf(source.ip) : undefined;
  if (source.ip && network) {
    budgets.push({
      key: `net#${network}`,
      counters: [
        { name: 'n', limit: config.perNetwork },
        { name: `ip_${source.ip}`, limit: config.perIp },
      ],
    });
  }
  if (source.asn) budgets.push({ key: `asn#${source.asn}`, counters: [{ name: 'n', limit: config.perAsn }] });
  return budgets;
}

/** The spend of one send of `identifier` from `source` at `now`. */
export function sendSpend(
  config: RateLimits,
  identifier: Identifier,
  source: Source,
  now: number,
): BudgetSpend {
  return { budgets: budgetsFor(config, identifier, source), windowSeconds: config.windowSeconds, now };
}

/** Refuses a send whose budget is already spent; says whether one is past half. Counts nothing. */
export async function assessBudgets(
  deps: { counters: CounterStore; config: RateLimits },
  spend: BudgetSpend,
): Promise<{ elevated: boolean }> {
  const counts = await deps.counters.peek(spend.budgets, spend.windowSeconds, spend.now);
  const share = (test: (count: number, limit: number) => boolean) =>
    spend.budgets.some((budget, i) =>
      budget.counters.some(({ name, limit }) => test(counts[i]?.[name] ?? 0, limit)),
    );
  if (share((count, limit) => count >= limit)) throw overBudget(spend);
  return { elevated: share((count, limit) => count + 1 > limit * ELEVATED_SHARE) };
}

/** The refusal of a send over budget: retry when the window turns. */
export function overBudget(spend: BudgetSpend): RateLimited {
  return new RateLimited((windowOf(spend.windowSeconds, spend.now).windowEnd - spend.now) / 1000, 'budget');
}

/** The fixed window that contains `now`. */
export function windowOf(windowSeconds: number, now: number) {
  const windowMs = windowSeconds * 1000;
  const windowStart = now - (now % windowMs);
  return { windowStart, windowEnd: windowStart + windowMs };
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
