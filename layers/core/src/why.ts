/**
 * Why an identifier is refused right now: every rule that blocks it, each with its facts, for the
 * operator (`npm run admin -- denylist why`). It reads the very rules the workflow refuses by, so
 * the answer cannot drift from what a start meets; a new rule is one more entry in WHY_RULES.
 */
import { type Identifier, identifierKey } from './identifier.ts';
import { identifierBlock, type LockoutDeps } from './lockout.ts';
import type { Clock } from './ports.ts';
import { type Block, IDENTIFIER_RULES, type IdentifierRuleDeps } from './screening.ts';

export type WhyDeps = IdentifierRuleDeps & LockoutDeps & { clock: Clock };

type WhyRule = (deps: WhyDeps, identifier: Identifier) => Promise<Block[]> | Block[];

const identifierLockout: WhyRule = async (deps, identifier) => {
  const block = await identifierBlock(deps, identifierKey(identifier), deps.clock.now());
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

export const WHY_RULES: readonly WhyRule[] = [...IDENTIFIER_RULES, identifierLockout];

/** Every block standing now, in WHY_RULES' order; empty when nothing blocks the identifier. */
export async function whyBlocked(deps: WhyDeps, identifier: Identifier): Promise<Block[]> {
  return (await Promise.all(WHY_RULES.map((rule) => rule(deps, identifier)))).flat();
}
