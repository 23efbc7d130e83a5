/**
 * The feedback loop end to end, as a developer sees it through `npm start`: mail to SES's mailbox
 * simulator comes back as real-shaped `aws.ses` events, EventBridge's rules (read from template.yaml)
 * hand them to the feedback functions, and the next start for a bounced or complained address is
 * refused. `npm run admin -- denylist why` names the event that did it. What a feedback function
 * cannot handle ends, after Lambda's retries, in the dead-letter queue the alarm watches.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LocalRuntime } from '../../local/runtime.ts';
import { client } from '../support/http.ts';
import { startTestRuntime } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();
/** What template.yaml's `AWS::StackName` is in the local runtime. */
const LOCAL_STACK = 'authkit-local';
const SMS_FAILURE_NUMBER = '+14254147167';
/** Poland's failure simulator number: its own, so the SNS spec's entry (shared tables) does not answer for it. */
const EUM_FAILURE_NUMBER = '+48732141442';

const why = async (identifier: string) => {
  const { stdout } = await promisify(execFile)(process.execPath, [
    'scripts/admin.ts',
    'denylist',
    'why',
    identifier,
    '--url',
    suite.runtime.url,
  ]);
  return stdout;
};

/** Feedback arrives asynchronously, as on AWS: asks `why` until it names a denylist entry. */
async function denylisted(identifier: string): Promise<string> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const answer = await why(identifier);
    if (/denylist/.test(answer)) return answer;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${identifier} was not denylisted within 10 s`);
}

async function signsIn(identifier: string): Promise<void> {
  expect((await suite.http.signIn(identifier)).status).toBe(200);
}

describe("SES's mailbox simulator through npm start", () => {
  it.each([
    ['bounce@simulator.amazonses.com', 'bounce'],
    ['complaint@simulator.amazonses.com', 'complaint'],
  ])('%s: accepted once, then refused; why names the %s and its event', async (address, reason) => {
    // Act
    const first = await suite.http.start(address);
    const explanation = await denylisted(address);
    const second = await suite.http.start(address);

    // Assess
    expect(first.status).toBe(202);
    expect(second.status).toBe(422);
    expect(second.body).toMatchObject({ code: 'identifier_rejected' });
    expect(explanation).toContain(reason);
    expect(explanation).toMatch(/aws\.ses:[\w-]+\/[\w-]+/);
  });

  it.each(['success@simulator.amazonses.com', 'ooto@simulator.amazonses.com'])(
    '%s stays usable',
    async (address) => {
      // Act & Assess
      await signsIn(address);
      await suite.runtime.events.settled();
      await signsIn(address);
      expect(await why(address)).not.toMatch(/denylist/);
    },
  );
});

/** Polls the start the way an app would, until the denylist refuses the number (feedback is asynchronous). */
async function refusedSoon(http: ReturnType<typeof client>, number: string): Promise<number> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const { status } = await http.start(number);
    if (status === 422) return status;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return (await http.start(number)).status;
}

describe("a number the SMS provider refuses for good (End User Messaging's failure simulator number)", () => {
  it('through SNS: the start fails, the send step reports it, and the next start is refused', async () => {
    // Act
    const first = await suite.http.start(SMS_FAILURE_NUMBER);
    await suite.runtime.events.settled();

    // Assess
    expect(first.status).toBe(503);
    expect(await refusedSoon(suite.http, SMS_FAILURE_NUMBER)).toBe(422);
    expect(await why(SMS_FAILURE_NUMBER)).toMatch(/denylist: sms-failure, source authkit:/);
  });

  describe('through End User Messaging', () => {
    let runtime: LocalRuntime;
    beforeAll(async () => {
      runtime = await startTestRuntime({ SmsProvider: 'end-user-messaging', SmsAllowedCountries: 'US,PL' });
    });
    afterAll(async () => {
      await runtime.close();
    });

    it("the start is accepted; the service's final TEXT_INVALID event denylists the number", async () => {
      // Prepare
      const http = client(runtime.url);

      // Act
      const first = await http.start(EUM_FAILURE_NUMBER);
      await runtime.events.settled();

      // Assess
      expect(first.status).toBe(202);
      expect(await refusedSoon(http, EUM_FAILURE_NUMBER)).toBe(422);
    });
  });
});

/** Puts one `authkit` event on the runtime's bus, as the send step does, and waits for its delivery. */
async function putEvent(detailType: string, detail: Record<string, unknown>): Promise<string> {
  const { body } = await suite.http.call(
    'POST',
    '/_aws/events',
    JSON.stringify({
      Entries: [{ Source: 'authkit', DetailType: detailType, Detail: JSON.stringify(detail) }],
    }),
    { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
  );
  await suite.runtime.events.settled();
  const [{ EventId }] = body.Entries as [{ EventId: string }];
  return EventId;
}

describe('SMS feedback of another stack in the same account', () => {
  it('reaches no function of this stack: the rules match their own stack name', async () => {
    // Act
    const eventId = await putEvent('SmsDeliveryFailed', {
      stack: 'authkit-staging',
      destinationPhoneNumber: '+14155550111',
      challengeId: 'ch_elsewhere',
      provider: 'sns',
      errorCode: 'InvalidParameter',
      permanent: true,
    });

    // Assess
    expect(suite.runtime.events.deliveries().filter((d) => d.eventId === eventId)).toEqual([]);
    expect((await suite.http.start('+14155550111')).status).toBe(202);
  });
});

describe("the feedback functions' dead-letter queue", () => {
  it('takes an event the SMS feedback function cannot read, after Lambda retried it twice', async () => {
    // Prepare: the send step's event, without the challenge it is about
    const detail = {
      stack: LOCAL_STACK,
      destinationPhoneNumber: '+14254147167',
      provider: 'sns',
      errorCode: 'InvalidParameter',
      permanent: true,
    };

    // Act
    const EventId = await putEvent('SmsDeliveryFailed', detail);

    // Assess
    const { deadLetters } = (await suite.http.get('/_local/dead-letters')).body as {
      deadLetters: { functionId: string; body: { id: string; detail: unknown } }[];
    };
    expect(deadLetters.filter((letter) => letter.body.id === EventId)).toEqual([
      expect.objectContaining({
        functionId: 'SmsFeedbackFunction',
        body: expect.objectContaining({ detail }),
      }),
    ]);
  });
});
