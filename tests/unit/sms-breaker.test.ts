/**
 * The SMS breaker's arithmetic: which scopes an SMS counts in, the sliding-window estimate, and
 * when the estimate trips.
 */
import { describe, expect, it } from '@jest/globals';
import { normalizeIdentifier, type PhoneIdentifier } from '../../layers/core/src/identifier.ts';
import {
  breakerScopes,
  numberRange,
  pumpingSuspected,
  sinceTrip,
  slidingCounts,
  tripsOn,
} from '../../layers/core/src/sms-breaker.ts';

const phone = (number: string) => normalizeIdentifier(number) as PhoneIdentifier;
const HOUR = 3600;
/** A moment `minutes` into a fixed one-hour window. */
const into = (minutes: number) => 1_000 * HOUR * 500_000 + minutes * 60_000;
const CONFIG = { windowSeconds: HOUR, minSends: 100, minConversionPercent: 20, coolOffSeconds: HOUR };

describe('the scopes an SMS counts in', () => {
  it('are its country and its number range: the number without its last 6 digits', () => {
    expect(breakerScopes(phone('+33 6 12 34 56 78'))).toEqual([
      { scope: 'country', value: 'FR' },
      { scope: 'prefix', value: '+33612' },
    ]);
  });

  it('keep at least the calling code in the range of a short number', () => {
    // Niue: 4 national digits, so dropping 6 would cut into the calling code.
    expect(numberRange(phone('+683 7290'))).toBe('+683');
  });
});

describe('the sliding-window estimate', () => {
  const windows = { current: { sends: 40, verified: 4 }, previous: { sends: 100, verified: 30 } };

  it('weighs the previous window by the share of it still inside the window', () => {
    expect(slidingCounts(windows, HOUR, into(15))).toEqual({ sends: 40 + 75, verified: 4 + 22.5 });
  });

  it('counts the previous window whole at the turn, and less as this window runs', () => {
    expect(slidingCounts(windows, HOUR, into(0))).toEqual({ sends: 140, verified: 34 });
    expect(slidingCounts(windows, HOUR, into(45))).toEqual({ sends: 40 + 25, verified: 4 + 7.5 });
  });
});

describe('the counts a scope is judged on after a trip', () => {
  const windows = { current: { sends: 40, verified: 4 }, previous: { sends: 100, verified: 30 } };
  const tripped = (windowStart: number) => ({
    trippedAt: windowStart,
    until: windowStart + HOUR * 1000,
    sends: 0,
    verified: 0,
    baseline: { windowStart, sends: 25, verified: 1 },
  });

  it('leave out the window it tripped in, up to the trip, and everything before', () => {
    expect(sinceTrip(windows, tripped(into(0)), HOUR, into(30))).toEqual({
      current: { sends: 15, verified: 3 },
      previous: { sends: 0, verified: 0 },
    });
  });

  it('leave out the previous window up to the trip once the window has turned', () => {
    expect(sinceTrip(windows, tripped(into(-60)), HOUR, into(30))).toEqual({
      current: windows.current,
      previous: { sends: 75, verified: 29 },
    });
  });

  it('are all the counts once its window is out of the sliding window, or with no trip', () => {
    expect(sinceTrip(windows, tripped(into(-120)), HOUR, into(30))).toEqual(windows);
    expect(sinceTrip(windows, undefined, HOUR, into(30))).toEqual(windows);
  });
});

describe('a trip', () => {
  it('needs the minimum volume', () => {
    expect(tripsOn({ sends: 99, verified: 0 }, CONFIG)).toBe(false);
    expect(tripsOn({ sends: 100, verified: 0 }, CONFIG)).toBe(true);
  });

  it('needs sign-ins per send below the threshold', () => {
    expect(tripsOn({ sends: 200, verified: 39 }, CONFIG)).toBe(true);
    expect(tripsOn({ sends: 200, verified: 40 }, CONFIG)).toBe(false);
  });

  it('is published with its scope, evidence and end, and no number', () => {
    const until = into(60);
    expect(
      pumpingSuspected(
        { scope: 'prefix', value: '+33612' },
        {
          trippedAt: 0,
          until,
          sends: 120,
          verified: 3,
          baseline: { windowStart: 0, sends: 80, verified: 2 },
        },
      ),
    ).toEqual({
      detailType: 'SmsPumpingSuspected',
      detail: {
        scope: 'prefix',
        value: '+33612',
        sends: 120,
        verified: 3,
        until: new Date(until).toISOString(),
      },
    });
  });
});
