/**
 * The SMS-pumping breaker in DynamoDB Local, with a clock the specs move: SMS to a country or a
 * number range that hardly ever turn into a sign-in trip it, and SMS starts there then need captcha
 * until the cool-off ends. A start runs the workflow's steps as they run in order (CheckRateLimit,
 * VerifyCaptcha against a loopback Turnstile, SendChallenge; CheckDenylist has its own specs).
 * Each spec texts a country of its own, in a window of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HttpCaptchaVerifier } from '../../layers/core/src/adapters/index.ts';
import { captchaPolicy } from '../../layers/core/src/captcha.ts';
import { sendChallenge } from '../../layers/core/src/challenge.ts';
import { CaptchaRequired, RateLimited } from '../../layers/core/src/errors.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import type { SmsMessage } from '../../layers/core/src/ports.ts';
import { assessSend, checkCaptcha } from '../../layers/core/src/screening.ts';
import { generateId } from '../../layers/core/src/secrets.ts';
import { verifyCode } from '../../layers/core/src/sign-in.ts';
import type { SmsBreakerConfig } from '../../layers/core/src/sms-breaker.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import {
  challengeDeps,
  LOCKOUT,
  ManualClock,
  SOURCE,
  smsBreakerWatch,
  stores,
  verifyDeps,
} from '../support/core-fixtures.ts';
import { SITE_ACTION, SITE_HOSTNAME } from '../support/siteverify.ts';
import { codeIn, uniqueEmail } from '../support/stack.ts';
import {
  type FakeTurnstile,
  startFakeTurnstile,
  TURNSTILE_SECRET,
  VALID_TOKEN,
} from '../support/turnstile.ts';

const HOUR = 3600;

let turnstile: FakeTurnstile;
beforeAll(async () => {
  turnstile = await startFakeTurnstile();
});
afterAll(async () => {
  await turnstile.close();
});

/** SMS has no local provider in these specs: the last text to each number. */
const texts = new Map<string, string>();
const sms = {
  send: async ({ to, text }: SmsMessage) => {
    texts.set(to, text);
    return { messageId: generateId(systemRandom, 'sms') };
  },
};

/** Hundreds of sends through DynamoDB Local take seconds, and minutes on a loaded machine. */
const MANY = 180_000;

/** A minute into an hour no other spec reaches. */
const freshClock = () =>
  new ManualClock(
    (Math.floor(Date.now() / 3_600_000) + 24 * (1 + Math.floor(Math.random() * 1e6))) * 3_600_000 + 60_000,
  );

/** `count` numbers spread over ten ranges of `+<base>0` … `+<base>9`, from the `from`th on. */
const spread = (base: string, digits: number, count: number, from = 0) =>
  Array.from(
    { length: count },
    (_, i) => `${base}${(from + i) % 10}${String(from + i).padStart(digits, '0')}`,
  );

/** `count` numbers of one range: `base` and the last 4 digits. */
const inRange = (base: string, count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `${base}${String(from + i).padStart(4, '0')}`);

function deployment(
  options: { breaker?: Partial<SmsBreakerConfig>; captcha?: boolean; clock?: ManualClock } = {},
) {
  const clock = options.clock ?? freshClock();
  const watch = smsBreakerWatch(clock, options.breaker);
  const deps = challengeDeps({ clock, sms, smsBreaker: watch });
  const checking = verifyDeps(deps);
  const screening = {
    counters: stores().counters,
    locks: checking.locks,
    smsBreaker: watch,
    config: {
      rateLimit: deps.config.rateLimit,
      lockout: LOCKOUT,
      captcha: { provider: options.captcha === false ? 'none' : 'turnstile', mode: 'escalate' },
    } as const,
  };
  const verifier =
    options.captcha === false
      ? undefined
      : {
          verifier: new HttpCaptchaVerifier({ url: turnstile.url, secret: async () => TURNSTILE_SECRET }),
          policy: captchaPolicy('turnstile', {
            hostnames: SITE_HOSTNAME,
            action: SITE_ACTION,
            recaptchaMinScorePercent: 50,
            outageEmail: 'fail-closed',
          }),
        };
  const send = async (number: string, challengeId = generateId(systemRandom, 'ch'), sendNumber = 1) => {
    const identifier = normalizeIdentifier(number);
    const channel = identifier.kind === 'email' ? 'email' : 'sms';
    await sendChallenge(deps, { challengeId, sendNumber, identifier, channel, source: SOURCE });
    return challengeId;
  };
  /** The screening steps, then the send. */
  const run = async (
    number: string,
    send: () => Promise<string>,
    captchaToken: string | undefined,
  ): Promise<string> => {
    const identifier = normalizeIdentifier(number);
    const risk = await assessSend(screening, { identifier, source: SOURCE, now: clock.now() });
    await checkCaptcha(verifier, {
      captchaToken,
      sourceIp: SOURCE.ip,
      required: risk.elevated,
      channel: identifier.kind === 'email' ? 'email' : 'sms',
    });
    return send();
  };
  return {
    clock,
    watch,
    /** The send step alone. */
    send,
    start: (number: string, captchaToken?: string) => run(number, () => send(number), captchaToken),
    resend: (number: string, challengeId: string, captchaToken?: string) =>
      run(number, () => send(number, challengeId, 2), captchaToken),
    /** Twenty at a time, as many users at once would. */
    startAll: async (numbers: string[]) => {
      const ids: string[] = [];
      for (let i = 0; i < numbers.length; i += 20) {
        ids.push(
          ...(await Promise.all(
            numbers.slice(i, i + 20).map((number) => run(number, () => send(number), undefined)),
          )),
        );
      }
      return ids;
    },
    signIn: (number: string, challengeId: string) =>
      verifyCode(checking, { challengeId, code: codeIn(texts.get(number)), source: SOURCE }),
  };
}

const tripEvent = (scope: string, value: string, sends: number, verified: number, until: number) => ({
  detailType: 'SmsPumpingSuspected',
  detail: { scope, value, sends, verified, until: new Date(until).toISOString() },
});

describe('the SMS-pumping breaker', () => {
  it(
    'trips a country after 200 SMS starts there with no sign-in: the next start and resend there need captcha, another country does not',
    async () => {
      // Prepare: 200 French numbers over ten ranges, so no range reaches the minimum on its own
      const france = deployment({ breaker: { minSends: 200 } });
      const numbers = spread('+3361', 6, 201);
      const challenges = await france.startAll(numbers.slice(0, 200));
      france.clock.advance(30);

      // Act
      const next = france.start(numbers[200] as string);
      const resend = france.resend(numbers[0] as string, challenges[0] as string);
      const elsewhere = france.start('+31612345678');

      // Assess
      await expect(next).rejects.toBeInstanceOf(CaptchaRequired);
      await expect(next).rejects.toMatchObject({ status: 428, code: 'captcha_required' });
      await expect(resend).rejects.toBeInstanceOf(CaptchaRequired);
      await expect(elsewhere).resolves.toBeDefined();
      const until = france.clock.now() - 30_000 + HOUR * 1000;
      expect(france.watch.events.published).toEqual([tripEvent('country', 'FR', 200, 0, until)]);
      expect(france.watch.trips).toEqual(['country']);
      expect(france.watch.warnings).toEqual([]);
      await expect(france.start(numbers[200] as string, VALID_TOKEN)).resolves.toBeDefined();
    },
    MANY,
  );

  it(
    'does not trip a country whose SMS turn into sign-ins',
    async () => {
      // Prepare: one in three signs in, above the 20 % threshold
      const ireland = deployment({ breaker: { minSends: 30 } });
      const numbers = spread('+35385', 6, 60);

      // Act: sign-ins trail their sends by a batch, as they trail them by minutes on a real day
      for (let i = 0; i < numbers.length; i += 6) {
        const batch = numbers.slice(i, i + 6);
        const ids = await ireland.startAll(batch);
        await Promise.all(
          batch.flatMap((number, j) => (j % 3 === 0 ? [ireland.signIn(number, ids[j] as string)] : [])),
        );
      }

      // Assess
      await expect(ireland.start('+353851000001')).resolves.toBeDefined();
      expect(ireland.watch.events.published).toEqual([]);
    },
    MANY,
  );

  it(
    'writes one trip per scope, with one event and one metric, when 20 sends judge it tripped at once',
    async () => {
      // Prepare: 30 Dutch sends in one range, judged against a minimum they do not reach
      const clock = freshClock();
      const numbers = inRange('+3161234', 50);
      const quiet = deployment({ clock, breaker: { minSends: 1000 } });
      await quiet.startAll(numbers.slice(0, 30));
      const strict = deployment({ clock, breaker: { minSends: 20 } });

      // Act: 20 parallel send steps, each judging both scopes past the minimum
      await Promise.all(numbers.slice(30).map((number) => strict.send(number)));

      // Assess
      const until = clock.now() + HOUR * 1000;
      expect(strict.watch.events.published).toEqual(
        expect.arrayContaining([
          tripEvent('country', 'NL', expect.any(Number) as never, 0, until),
          tripEvent('prefix', '+31612', expect.any(Number) as never, 0, until),
        ]),
      );
      expect(strict.watch.events.published).toHaveLength(2);
      expect([...strict.watch.trips].sort()).toEqual(['country', 'prefix']);
    },
    MANY,
  );

  it(
    'recovers by itself after the cool-off, judged afresh on the sends after the trip',
    async () => {
      // Prepare: Austria tripped by 20 sends with no sign-in
      const austria = deployment({ breaker: { minSends: 20, coolOffSeconds: 600 } });
      const numbers = spread('+43664', 6, 41);
      await austria.startAll(numbers.slice(0, 20));

      // Act
      austria.clock.advance(599);
      const during = austria.start(numbers[20] as string);
      await expect(during).rejects.toBeInstanceOf(CaptchaRequired);
      austria.clock.advance(1);
      const after = austria.startAll(numbers.slice(20, 39));

      // Assess: 19 sends since the trip, below the minimum, though the window holds 39
      await expect(after).resolves.toHaveLength(19);
      expect(austria.watch.events.published).toHaveLength(1);
      // The 20th send since the trip is judged, and trips it again.
      await expect(austria.start(numbers[39] as string)).resolves.toBeDefined();
      await expect(austria.start(numbers[40] as string)).rejects.toBeInstanceOf(CaptchaRequired);
      expect(austria.watch.events.published).toHaveLength(2);
    },
    MANY,
  );

  it(
    'trips a number range without tripping its country',
    async () => {
      // Prepare: 40 Spanish sends over ten other ranges, every one signed in
      const spain = deployment({ breaker: { minSends: 30 } });
      const others = spread('+3462', 6, 40);
      for (let i = 0; i < others.length; i += 10) {
        const batch = others.slice(i, i + 10);
        const ids = await spain.startAll(batch);
        await Promise.all(batch.map((number, j) => spain.signIn(number, ids[j] as string)));
      }

      // Act: 30 sends to one range, none signed in
      const pumped = inRange('+3461000', 31);
      await spain.startAll(pumped.slice(0, 30));

      // Assess
      await expect(spain.start(pumped[30] as string)).rejects.toBeInstanceOf(CaptchaRequired);
      await expect(spain.start('+34620999999')).resolves.toBeDefined();
      expect(spain.watch.events.published).toEqual([
        tripEvent('prefix', '+34610', 30, 0, spain.clock.now() + HOUR * 1000),
      ]);
    },
    MANY,
  );

  it(
    'without a captcha provider: refuses SMS to a tripped number range as a spent budget, never a whole country',
    async () => {
      // Prepare
      const portugal = deployment({ captcha: false, breaker: { minSends: 20, coolOffSeconds: 900 } });
      await portugal.startAll(inRange('+35191234', 20));
      portugal.clock.advance(100);

      // Act
      const refused = portugal.start('+351912345678');

      // Assess
      await expect(refused).rejects.toBeInstanceOf(RateLimited);
      await expect(refused).rejects.toMatchObject({
        rule: 'budget',
        refusalRule: 'sms-breaker',
        retryAfterSeconds: 800,
      });
      // The country tripped too: it alarms, but one source must not be able to close a country.
      await expect(portugal.start('+351961234567')).resolves.toBeDefined();
      await expect(portugal.start('+46701234567')).resolves.toBeDefined();
      await expect(portugal.start(uniqueEmail('breaker'))).resolves.toBeDefined();
    },
    MANY,
  );
});
