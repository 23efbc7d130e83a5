/**
 * Delivery feedback against DynamoDB Local: which events put an address on the denylist, for how
 * long, and that EventBridge's at-least-once delivery writes each event once and never takes
 * anything away from an entry that stands.
 */
import { describe, expect, it } from '@jest/globals';
import type { Config } from '../../layers/core/src/config.ts';
import { IdentifierRejected } from '../../layers/core/src/errors.ts';
import { recordFeedback, UnreadableFeedbackEvent } from '../../layers/core/src/feedback.ts';
import { normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import { screenIdentifier } from '../../layers/core/src/screening.ts';
import { ManualClock, stores } from '../support/core-fixtures.ts';
import {
  sesBounce,
  sesComplaint,
  smsDeliveryFailed,
  smsVoiceStatus,
  uniquePhone,
} from '../support/feedback-events.ts';
import { uniqueEmail } from '../support/stack.ts';

const DAY = 86_400;
const SETTINGS: Config['feedback'] = {
  bounceSeconds: 180 * DAY,
  complaintSeconds: 365 * DAY,
  smsFailureSeconds: 30 * DAY,
};

function feedback(settings: Partial<Config['feedback']> = {}) {
  const clock = new ManualClock();
  const denylist = stores().denylist(clock);
  const deps = { denylist, settings: { ...SETTINGS, ...settings }, now: () => clock.now() };
  return {
    clock,
    denylist,
    deliver: (channel: 'email' | 'sms', event: unknown) => recordFeedback(deps, channel, event),
    /** What the denylist says about `key` now. */
    entryFor: async (key: string) => (await denylist.standing([key]))[0],
  };
}

describe('email feedback', () => {
  it('denylists a Permanent bounce under the sign-in key, so `Ada@Example.com` bouncing blocks `ada@example.com`', async () => {
    // Prepare
    const { deliver, denylist, clock } = feedback();
    const typed = uniqueEmail('Ada').replace('@example.com', '@Example.com');
    const event = sesBounce('Permanent', [typed]);

    // Act
    await deliver('email', event);

    // Assess
    const signIn = normalizeIdentifier(typed.toLowerCase());
    await expect(screenIdentifier({ denylist, smsCountries: [] }, signIn)).rejects.toBeInstanceOf(
      IdentifierRejected,
    );
    await expect(denylist.standing([`email#${typed.toLowerCase()}`])).resolves.toEqual([
      {
        key: `email#${typed.toLowerCase()}`,
        reason: 'bounce',
        source: `aws.ses:${event.id}/${(event.detail.bounce as { feedbackId: string }).feedbackId}`,
        deniedAt: Date.parse(event.time),
        expiresAt: clock.now() + 180 * DAY * 1000,
      },
    ]);
  });

  it.each(['Transient', 'Undetermined'] as const)('denylists nothing for a %s bounce', async (bounceType) => {
    // Prepare
    const { deliver, entryFor } = feedback();
    const address = uniqueEmail('soft');

    // Act
    const outcome = await deliver('email', sesBounce(bounceType, [address]));

    // Assess
    expect(outcome).toMatchObject({ reason: undefined, denied: 0, ignored: 'not-permanent' });
    await expect(entryFor(`email#${address}`)).resolves.toBeUndefined();
  });

  it('denylists every complained recipient with reason complaint', async () => {
    // Prepare
    const { deliver, entryFor } = feedback();
    const [first, second] = [uniqueEmail('spam'), uniqueEmail('spam')];

    // Act
    const outcome = await deliver('email', sesComplaint([first, second]));

    // Assess
    expect(outcome).toMatchObject({ reason: 'complaint', denied: 2 });
    await expect(entryFor(`email#${first}`)).resolves.toMatchObject({ reason: 'complaint' });
    await expect(entryFor(`email#${second}`)).resolves.toMatchObject({ reason: 'complaint' });
  });

  it('skips and counts an address no sign-in could use, and still denylists the others', async () => {
    // Prepare
    const { deliver, entryFor } = feedback();
    const good = uniqueEmail('good');

    // Act
    const outcome = await deliver('email', sesBounce('Permanent', ['not an address', 42, good]));

    // Assess
    expect(outcome).toMatchObject({ reason: 'bounce', denied: 1, unreadable: 2 });
    await expect(entryFor(`email#${good}`)).resolves.toMatchObject({ reason: 'bounce' });
  });

  it('denylists nothing when the setting for that feedback is 0', async () => {
    // Prepare
    const { deliver, entryFor } = feedback({ bounceSeconds: 0 });
    const address = uniqueEmail('off');

    // Act
    const outcome = await deliver('email', sesBounce('Permanent', [address]));

    // Assess
    expect(outcome).toMatchObject({ ignored: 'switched-off', denied: 0 });
    await expect(entryFor(`email#${address}`)).resolves.toBeUndefined();
  });
});

describe('SMS feedback', () => {
  it('denylists the number of an End User Messaging final TEXT_INVALID', async () => {
    // Prepare
    const { deliver, entryFor } = feedback();
    const number = uniquePhone();
    const event = smsVoiceStatus('TEXT_INVALID', number);

    // Act
    await deliver('sms', event);

    // Assess
    await expect(entryFor(`phone#${number}`)).resolves.toMatchObject({
      reason: 'sms-failure',
      source: `aws.sms-voice:${event.id}/${event.detail.messageId}`,
    });
  });

  it('denylists the number of an authkit SmsDeliveryFailed (SNS refused it for good)', async () => {
    // Prepare
    const { deliver, entryFor } = feedback();
    const number = uniquePhone();
    const event = smsDeliveryFailed(number);

    // Act
    await deliver('sms', event);

    // Assess
    await expect(entryFor(`phone#${number}`)).resolves.toMatchObject({
      reason: 'sms-failure',
      source: `authkit:${event.id}/${event.detail.challengeId}`,
    });
  });

  it('denylists nothing for an SmsDeliveryFailed that does not say the refusal is permanent', async () => {
    // Prepare
    const { deliver, entryFor } = feedback();
    const number = uniquePhone();
    const event = smsDeliveryFailed(number);

    // Act
    const outcome = await deliver('sms', { ...event, detail: { ...event.detail, permanent: false } });

    // Assess
    expect(outcome).toMatchObject({ ignored: 'not-permanent', denied: 0 });
    await expect(entryFor(`phone#${number}`)).resolves.toBeUndefined();
  });

  it.each([
    ['a carrier-transient status', 'TEXT_CARRIER_UNREACHABLE', true],
    ['a phone switched off', 'TEXT_UNREACHABLE', true],
    ['a message the carrier took for spam', 'TEXT_SPAM', true],
    ['a delivered message', 'TEXT_DELIVERED', true],
    ['a TEXT_INVALID that is not final', 'TEXT_INVALID', false],
  ])('denylists nothing for %s', async (_, eventType, isFinal) => {
    // Prepare
    const { deliver, entryFor } = feedback();
    const number = uniquePhone();

    // Act
    const outcome = await deliver('sms', smsVoiceStatus(eventType, number, { isFinal }));

    // Assess
    expect(outcome).toMatchObject({ ignored: 'not-permanent', denied: 0 });
    await expect(entryFor(`phone#${number}`)).resolves.toBeUndefined();
  });
});

describe('delivered at least once, written once', () => {
  it('writes the same event delivered twice once, even when the second comes later with longer settings', async () => {
    // Prepare
    const { deliver, entryFor, clock } = feedback();
    const address = uniqueEmail('twice');
    const event = sesBounce('Permanent', [address]);
    const first = await deliver('email', event);
    const written = await entryFor(`email#${address}`);

    // Act
    clock.advance(3600);
    const again = await recordFeedback(
      {
        denylist: stores().denylist(clock),
        settings: { ...SETTINGS, bounceSeconds: 365 * DAY },
        now: () => clock.now(),
      },
      'email',
      event,
    );

    // Assess
    expect([first.denied, again.denied, again.duplicate]).toEqual([1, 0, 1]);
    await expect(entryFor(`email#${address}`)).resolves.toEqual(written);
  });

  it('writes one entry when 10 deliveries of one event arrive at once', async () => {
    // Prepare
    const { deliver, entryFor } = feedback();
    const address = uniqueEmail('burst');
    const event = sesBounce('Permanent', [address]);

    // Act
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => deliver('email', event)));

    // Assess
    expect(outcomes.map((outcome) => outcome.denied).reduce((a, b) => a + b)).toBe(1);
    expect(outcomes.map((outcome) => outcome.duplicate).reduce((a, b) => a + b)).toBe(9);
    await expect(entryFor(`email#${address}`)).resolves.toMatchObject({ reason: 'bounce' });
  });
});

describe('what already stands', () => {
  it("never touches an operator's permanent entry", async () => {
    // Prepare
    const { deliver, denylist, entryFor } = feedback();
    const address = uniqueEmail('operator');
    const operator = { key: `email#${address}`, reason: 'fraud', source: 'operator', deniedAt: 1 };
    await denylist.deny(operator);

    // Act
    const outcome = await deliver('email', sesBounce('Permanent', [address]));

    // Assess
    expect(outcome).toMatchObject({ denied: 0, outranked: 1 });
    await expect(entryFor(operator.key)).resolves.toEqual(operator);
  });

  it("never lengthens or replaces an operator's temporary entry either: the operator chose its end", async () => {
    // Prepare
    const { deliver, denylist, entryFor, clock } = feedback();
    const address = uniqueEmail('operator-temporary');
    const operator = {
      key: `email#${address}`,
      reason: 'checking',
      source: 'operator',
      deniedAt: clock.now(),
      expiresAt: clock.now() + DAY * 1000,
    };
    await denylist.deny(operator);

    // Act
    const outcome = await deliver('email', sesComplaint([address]));

    // Assess
    expect(outcome).toMatchObject({ denied: 0, outranked: 1 });
    await expect(entryFor(operator.key)).resolves.toEqual(operator);
  });

  it('writes over an entry that has expired, whoever wrote it', async () => {
    // Prepare
    const { deliver, denylist, entryFor, clock } = feedback();
    const address = uniqueEmail('expired');
    await denylist.deny({
      key: `email#${address}`,
      reason: 'checking',
      source: 'operator',
      deniedAt: clock.now() - 2000,
      expiresAt: clock.now() - 1000,
    });

    // Act
    const outcome = await deliver('email', sesBounce('Permanent', [address]));

    // Assess
    expect(outcome).toMatchObject({ denied: 1 });
    await expect(entryFor(`email#${address}`)).resolves.toMatchObject({ reason: 'bounce' });
  });

  it('does not shorten a longer-lived feedback entry, and lengthens a shorter one', async () => {
    // Prepare
    const { deliver, entryFor, clock } = feedback({ bounceSeconds: 10 * DAY, complaintSeconds: 100 * DAY });
    const address = uniqueEmail('longer');
    const complaint = sesComplaint([address]);
    await deliver('email', sesBounce('Permanent', [address]));

    // Act
    const lengthened = await deliver('email', complaint);
    const shortened = await deliver('email', sesBounce('Permanent', [address]));

    // Assess
    expect([lengthened.denied, shortened.outranked]).toEqual([1, 1]);
    await expect(entryFor(`email#${address}`)).resolves.toMatchObject({
      reason: 'complaint',
      expiresAt: clock.now() + 100 * DAY * 1000,
    });
  });
});

describe('an event the function cannot read', () => {
  it.each([
    ['not an object', 'email', 'garbage'],
    ['without an id', 'email', { ...sesBounce('Permanent', ['a@example.com']), id: undefined }],
    ['with a time that is no date', 'email', { ...sesBounce('Permanent', ['a@example.com']), time: 'soon' }],
    [
      'without bouncedRecipients',
      'email',
      { ...sesBounce('Permanent', []), detail: { bounce: { bounceType: 'Permanent', feedbackId: 'f' } } },
    ],
    ['routed to the wrong function', 'sms', sesBounce('Permanent', ['a@example.com'])],
    ['of a source it does not know', 'sms', { ...smsDeliveryFailed('+14155550187'), source: 'aws.sns' }],
  ] as const)(
    'throws for one %s, so EventBridge retries it and dead-letters it',
    async (_, channel, event) => {
      // Prepare
      const { deliver } = feedback();

      // Act
      const delivered = deliver(channel, event);

      // Assess
      await expect(delivered).rejects.toBeInstanceOf(UnreadableFeedbackEvent);
    },
  );
});
