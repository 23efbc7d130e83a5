/**
 * Why an identifier is refused right now: every rule that blocks it, each with its facts, for the
 * operator (`npm run admin -- denylist why`). It reads the very rules the workflow refuses by, so
 * the answer cannot drift from what a start meets; a new rule is one more entry in WHY_RULES.
 */
import { type Identifier, screeningKey } from './identifier.ts';
import { identifierBlock, type LockoutDeps } from './lockout.ts';
import type { Clock, SmsBreakerStore } from './ports.ts';
import { type Block, IDENTIFIER_RULES, type IdentifierRuleDeps } from './screening.ts';
import { breakerScopes } from './sms-breaker.ts';

export type WhyDeps = IdentifierRuleDeps & LockoutDeps & { clock: Clock; smsBreaker: SmsBreakerStore };

type WhyRule = (deps: WhyDeps, identifier: Identifier) => Promise<Block[]> | Block[];

const identifierLockout: WhyRule = async (deps, identifier) => {
  const block = await identifierBlock(deps, screeningKey(identifier), deps.clock.now());
  if (!block) return [];
  return [
    {
      rule: 'lockout',
      facts: {
        until: new Date(block.until).toISOString(),
        wrongCodes: block.wrongCodes,
        networks: block.networks,
        note: 'blocks of single networks are not listed; networks it signed in from are exempt',
      },
    },
  ];
};

/** A tripped country or number range: SMS there need captcha (or, with no provider, are refused). */
const smsBreaker: WhyRule = async (deps, identifier) => {
  if (identifier.kind !== 'phone') return [];
  const scopes = breakerScopes(identifier);
  const trips = await deps.smsBreaker.trips(scopes);
  const now = deps.clock.now();
  return scopes.flatMap(({ scope, value }, i) => {
    const trip = trips[i];
    if (!trip || trip.until <= now) return [];
    return [
      {
        rule: 'sms-breaker',
        facts: {
          scope,
          value,
          since: iso(trip.trippedAt),
          until: iso(trip.until),
          sends: trip.sends,
          verified: trip.verified,
        },
      },
    ];
  });
};

const iso = (ms: number) => new Date(ms).toISOString();

export const WHY_RULES: readonly WhyRule[] = [...IDENTIFIER_RULES, identifierLockout, smsBreaker];

/** Every block standing now, in WHY_RULES' order; empty when nothing blocks the identifier. */
export async function whyBlocked(deps: WhyDeps, identifier: Identifier): Promise<Block[]> {
  return (await Promise.all(WHY_RULES.map((rule) => rule(deps, identifier)))).flat();
}
