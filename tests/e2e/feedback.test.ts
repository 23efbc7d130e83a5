/**
 * The feedback functions as EventBridge invokes them, built from their template.yaml environment,
 * and what sign-in then answers through the local runtime's API.
 */
import { describe, expect, it } from '@jest/globals';
import {
  sesBounce,
  sesComplaint,
  smsDeliveryFailed,
  smsVoiceStatus,
  uniquePhone,
} from '../support/feedback-events.ts';
import { uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

describe('delivery feedback, end to end', () => {
  const suite = runtimeForSuite({ SmsAllowedCountries: 'US' });

  it('a Permanent bounce of `Ada@Example.com` makes the next start of `ada@example.com` answer 422', async () => {
    // Prepare
    const address = uniqueEmail('ada');
    expect((await suite.http.start(address)).status).toBe(202);

    // Act
    await suite.runtime.lambda.invoke(
      'EmailFeedbackFunction',
      sesBounce('Permanent', [address.replace(/^ada/, 'Ada').replace('example.com', 'Example.com')]),
    );

    // Assess
    const refused = await suite.http.start(address);
    expect([refused.status, refused.body.code]).toEqual([422, 'identifier_rejected']);
  });

  it('a Transient bounce leaves the address usable', async () => {
    // Prepare
    const address = uniqueEmail('soft');

    // Act
    await suite.runtime.lambda.invoke('EmailFeedbackFunction', sesBounce('Transient', [address]));

    // Assess
    expect((await suite.http.start(address)).status).toBe(202);
  });

  it('a complaint makes the next start answer 422', async () => {
    // Act
    const address = uniqueEmail('complainer');
    await suite.runtime.lambda.invoke('EmailFeedbackFunction', sesComplaint([address]));

    // Assess
    expect((await suite.http.start(address)).status).toBe(422);
  });

  it.each([
    ['an End User Messaging TEXT_INVALID', (number: string) => smsVoiceStatus('TEXT_INVALID', number)],
    ['an authkit SmsDeliveryFailed', (number: string) => smsDeliveryFailed(number)],
  ])('%s makes the next SMS start to the number answer 422', async (_, event) => {
    // Prepare
    const number = uniquePhone();
    expect((await suite.http.start(number)).status).toBe(202);

    // Act
    await suite.runtime.lambda.invoke('SmsFeedbackFunction', event(number));

    // Assess
    const refused = await suite.http.start(number);
    expect([refused.status, refused.body.code]).toEqual([422, 'identifier_rejected']);
  });

  it('a function given an event it cannot read fails, so EventBridge retries and dead-letters it', async () => {
    // Act
    const invoked = suite.runtime.lambda.invoke(
      'SmsFeedbackFunction',
      sesBounce('Permanent', ['a@example.com']),
    );

    // Assess
    await expect(invoked).rejects.toThrow(/Unreadable feedback event/);
  });
});
