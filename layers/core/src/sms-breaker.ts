/**
 * The SMS-pumping breaker. A pumping attack buys premium-rate revenue with our SMS: many sends to a
 * country or a number range, and almost none of them turn into a sign-in. So per destination
 * country and per number range the breaker counts delivered SMS and successful SMS sign-ins, and
 * when, over a sliding window and a minimum volume, sign-ins per send fall below a threshold, that
 * scope trips: its SMS starts and resends need captcha (CheckRateLimit marks them risky) until the
 * cool-off ends. Email is never counted or judged.
 *
 * Counts are atomic adds; a trip is one conditional write, so however many sends judge a scope
 * tripped at once, one writes the trip and that one alone reports it (event and metric).
 */
import type { Config } from './config.ts';
import type { PhoneIdentifier } from './identifier.ts';
import type {
  AppEvent,
  BreakerCounts,
  BreakerScope,
  BreakerTrip,
  Clock,
  EventPublisher,
  SmsBreakerStore,
} from './ports.ts';

export type SmsBreakerConfig = Config['smsBreaker'];

/**
 * A number range is the number without its last 6 digits (a million numbers), never shorter than
 * its calling code. The send budgets' prefix (all but 4 digits) is capped per window far below any
 * volume worth judging, so pumping spread over a carrier's range shows only in a coarser block.
 */
const RANGE_HIDDEN_DIGITS = 6;

export function numberRange(identifier: PhoneIdentifier): string {
  const keep = Math.max(1 + identifier.callingCode.length, identifier.value.length - RANGE_HIDDEN_DIGITS);
  return identifier.value.slice(0, keep);
}

/** The scopes an SMS to `identifier` counts in: its country, then its number range. */
export function breakerScopes(identifier: PhoneIdentifier): BreakerScope[] {
  return [
    { scope: 'country', value: identifier.country ?? 'unknown' },
    { scope: 'prefix', value: numberRange(identifier) },
  ];
}

/**
 * The sliding-window counter: this fixed window's counts and the previous one's, weighted by the
 * share of it still inside the last `windowSeconds` (counts taken as spread evenly over it).
 */
export function slidingCounts(
  windows: { current: BreakerCounts; previous: BreakerCounts },
  windowSeconds: number,
  now: number,
): BreakerCounts {
  const windowMs = windowSeconds * 1000;
  const previous = 1 - (now % windowMs) / windowMs;
  return {
    sends: windows.current.sends + windows.previous.sends * previous,
    verified: windows.current.verified + windows.previous.verified * previous,
  };
}

/**
 * The windows' counts since `trip` was written: what it tripped on has been acted on, so a scope is
 * judged afresh, on the sends and sign-ins that came after (during the trip, with captcha, or after
 * it lapsed).
 */
export function sinceTrip(
  windows: { current: BreakerCounts; previous: BreakerCounts },
  trip: BreakerTrip | undefined,
  windowSeconds: number,
  now: number,
): { current: BreakerCounts; previous: BreakerCounts } {
  if (!trip) return windows;
  const windowMs = windowSeconds * 1000;
  const currentStart = now - (now % windowMs);
  const less = (counts: BreakerCounts): BreakerCounts => ({
    sends: Math.max(0, counts.sends - trip.baseline.sends),
    verified: Math.max(0, counts.verified - trip.baseline.verified),
  });
  const none = { sends: 0, verified: 0 };
  if (trip.baseline.windowStart >= currentStart) return { current: less(windows.current), previous: none };
  if (trip.baseline.windowStart === currentStart - windowMs) {
    return { current: windows.current, previous: less(windows.previous) };
  }
  return windows;
}

/** Enough sends to judge, and too few of them signed in. */
export function tripsOn(counts: BreakerCounts, config: SmsBreakerConfig): boolean {
  return (
    counts.sends >= config.minSends && counts.verified * 100 < config.minConversionPercent * counts.sends
  );
}

export type SmsBreakerDeps = { store: SmsBreakerStore; clock: Clock; config: SmsBreakerConfig };

export type SmsSendWatch = SmsBreakerDeps & {
  events: EventPublisher;
  /** Told of each trip this caller wrote: the metric the alarm watches. */
  tripped: (scope: BreakerScope['scope']) => void;
  /** The send is decided and delivered: bookkeeping that fails after it must not undo it. */
  warn: (what: string, error: unknown) => void;
};

/**
 * After an SMS was delivered: counts it in its country and number range and trips each scope that
 * does not stand tripped and whose sliding counts call for it.
 */
export async function countSmsSend(deps: SmsSendWatch, identifier: PhoneIdentifier): Promise<void> {
  const { config, store } = deps;
  const now = deps.clock.now();
  const window = { windowSeconds: config.windowSeconds, now };
  const scopes = breakerScopes(identifier);
  const [current, history] = await Promise.all([
    store.count(scopes, 'sends', window),
    store.history(scopes, window),
  ]);
  await Promise.all(
    scopes.map(async (scope, i) => {
      const counts = current[i];
      const { previous, trip: last } = history[i] ?? {};
      if (!counts || !previous || (last && last.until > now)) return;
      const windows = sinceTrip({ current: counts, previous }, last, config.windowSeconds, now);
      const evidence = slidingCounts(windows, config.windowSeconds, now);
      if (!tripsOn(evidence, config)) return;
      const trip: BreakerTrip = {
        trippedAt: now,
        until: now + config.coolOffSeconds * 1000,
        sends: Math.round(evidence.sends),
        verified: Math.round(evidence.verified),
        baseline: { ...counts, windowStart: now - (now % (config.windowSeconds * 1000)) },
      };
      // Kept while its baseline's window can still be this or the previous one.
      if (!(await store.trip(scope, trip, trip.until + 2 * config.windowSeconds * 1000))) return;
      deps.tripped(scope.scope);
      await deps.events.publish([pumpingSuspected(scope, trip)]);
    }),
  );
}

/** After a sign-in by SMS: counts it in the number's country and range. */
export async function countSmsSignIn(deps: SmsBreakerDeps, identifier: PhoneIdentifier): Promise<void> {
  const window = { windowSeconds: deps.config.windowSeconds, now: deps.clock.now() };
  await deps.store.count(breakerScopes(identifier), 'verified', window);
}

/** The trips that stand over an SMS to `identifier` at `now`, each with its scope. */
export async function standingTrips(
  store: SmsBreakerStore,
  identifier: PhoneIdentifier,
  now: number,
): Promise<(BreakerTrip & { scope: BreakerScope['scope'] })[]> {
  const scopes = breakerScopes(identifier);
  const trips = await store.trips(scopes);
  return scopes.flatMap(({ scope }, i) => {
    const trip = trips[i];
    return trip && trip.until > now ? [{ ...trip, scope }] : [];
  });
}

/** The `authkit` event a trip publishes; apps and operators may subscribe to it. */
export function pumpingSuspected(scope: BreakerScope, trip: BreakerTrip): AppEvent {
  return {
    detailType: 'SmsPumpingSuspected',
    detail: {
      scope: scope.scope,
      value: scope.value,
      sends: trip.sends,
      verified: trip.verified,
      until: new Date(trip.until).toISOString(),
    },
  };
}
