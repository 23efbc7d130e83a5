/**
 * The local bus's event-pattern matching, held to the examples of AWS's EventBridge user guide
 * ("Creating event patterns", "Content filtering in Amazon EventBridge event patterns", "Comparison
 * operators for use in event patterns"), quoted as specs.
 */
import { describe, expect, it } from '@jest/globals';
import { checkPattern, matchesPattern } from '../../local/event-pattern.ts';

const match = (pattern: object, event: object) => matchesPattern(pattern as Record<string, never>, event);

// The user guide's running example: an EC2 state-change event.
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

describe('values and structure', () => {
  it('matches when every field named matches one of its values ("source": ["aws.ec2"], state terminated)', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(match(pattern, ec2Event)).toBe(true);
    expect(match({ ...pattern, detail: { state: ['running', 'pending'] } }, ec2Event)).toBe(false);
    expect(match({ ...pattern, source: ['aws.s3'] }, ec2Event)).toBe(false);
  });

  it('matches an array field when any of its elements matches ("resources")', () => {
    expect(
      match({ resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] }, ec2Event),
    ).toBe(true);
    expect(match({ resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-other'] }, ec2Event)).toBe(
      false,
    );
  });

  it('needs a field the pattern names to be in the event, and values to be of the same type', () => {
    expect(match({ detail: { missing: ['terminated'] } }, ec2Event)).toBe(false);
    expect(match({ detail: { count: [5] } }, { detail: { count: '5' } })).toBe(false);
    expect(match({ detail: { count: [5] } }, { detail: { count: 5 } })).toBe(true);
  });

  it('matches nested objects in arrays of objects', () => {
    const event = { detail: { bouncedRecipients: [{ status: '4.4.7' }, { status: '5.1.1' }] } };
    expect(match({ detail: { bouncedRecipients: { status: ['5.1.1'] } } }, event)).toBe(true);
    expect(match({ detail: { bouncedRecipients: { status: ['5.7.1'] } } }, event)).toBe(false);
  });

  it('matches null and empty strings ("responseElements": [null], "LastName": [""])', () => {
    expect(match({ detail: { responseElements: [null] } }, { detail: { responseElements: null } })).toBe(
      true,
    );
    expect(match({ detail: { LastName: [''] } }, { detail: { LastName: '' } })).toBe(true);
    expect(match({ detail: { LastName: [''] } }, { detail: { LastName: 'Doe' } })).toBe(false);
  });
});

describe('comparison operators', () => {
  it('prefix: "time": [ { "prefix": "2017-10-02" } ]', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(match(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(match(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
  });

  it('prefix ignoring case: "service" : [{ "prefix": { "equals-ignore-case": "EventB" }}]', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventbridge']) {
      expect(match(pattern, { detail: { service } })).toBe(true);
    }
    expect(match(pattern, { detail: { service: 'Lambda' } })).toBe(false);
  });

  it('suffix: "FileName": [ { "suffix": ".png" } ], and ignoring case', () => {
    expect(match({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
    expect(match({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
    expect(
      match({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'image.PNG' }),
    ).toBe(true);
  });

  it('anything-but: a string, a number, a list of either', () => {
    expect(
      match({ detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'stopped' } }),
    ).toBe(true);
    expect(
      match(
        { detail: { state: [{ 'anything-but': 'initializing' }] } },
        { detail: { state: 'initializing' } },
      ),
    ).toBe(false);
    expect(match({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 456 } })).toBe(
      true,
    );
    expect(match({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 123 } })).toBe(
      false,
    );
    const list = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(match(list, { detail: { state: 'running' } })).toBe(true);
    expect(match(list, { detail: { state: 'overloaded' } })).toBe(false);
    // Anything-but still needs the field: an event without it is not "anything but".
    expect(match(list, { detail: {} })).toBe(false);
  });

  it('anything-but with prefix, suffix, equals-ignore-case and wildcard', () => {
    const notUs = { Region: [{ 'anything-but': { prefix: 'us-' } }] };
    expect(match(notUs, { Region: 'eu-west-1' })).toBe(true);
    expect(match(notUs, { Region: 'us-east-1' })).toBe(false);
    const notPng = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
    expect(match(notPng, { FileName: 'a.txt' })).toBe(true);
    expect(match(notPng, { FileName: 'a.png' })).toBe(false);
    const notInit = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(match(notInit, { state: 'INITIALIZING' })).toBe(false);
    expect(match(notInit, { state: 'running' })).toBe(true);
    const notLib = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(match(notLib, { FilePath: 'dir/lib/file' })).toBe(false);
    expect(match(notLib, { FilePath: 'dir/src/file' })).toBe(true);
  });

  it('numeric: "c-count": [ { "numeric": [ ">", 0, "<=", 5 ] } ], "x-limit": [ { "numeric": [ "=", 3.018e2 ] } ]', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(match(pattern, { detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 } })).toBe(true);
    expect(match(pattern, { detail: { 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 } })).toBe(false);
    expect(match(pattern, { detail: { 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 } })).toBe(false);
    expect(match(pattern, { detail: { 'c-count': '5', 'd-count': 3, 'x-limit': 301.8 } })).toBe(false);
  });

  it('exists: "state": [ { "exists": false } ] matches only events without the field', () => {
    const absent = { detail: { state: [{ exists: false }] } };
    const present = { detail: { state: [{ exists: true }] } };
    expect(match(absent, { detail: { 'instance-id': 'i-1' } })).toBe(true);
    expect(match(absent, { detail: { state: 'pending' } })).toBe(false);
    expect(match(present, { detail: { state: 'pending' } })).toBe(true);
    expect(match(present, { detail: {} })).toBe(false);
  });

  it('equals-ignore-case: "detail-type": [ { "equals-ignore-case": "ec2 instance state-change notification" } ]', () => {
    const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };
    expect(match(pattern, ec2Event)).toBe(true);
    expect(match(pattern, { 'detail-type': 'EC2 Instance Launch Successful' })).toBe(false);
  });

  it('wildcard: "EventBusArn": [ { "wildcard": "arn:aws:events:us-east-1:*:event-bus/*" } ]', () => {
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(match(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' })).toBe(
      true,
    );
    expect(match(pattern, { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default' })).toBe(
      false,
    );
  });

  it('cidr: "sourceIPAddress": [ { "cidr": "10.0.0.0/24" } ]', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(match(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
    expect(match(pattern, { detail: { sourceIPAddress: '10.0.1.0' } })).toBe(false);
  });

  it('$or: "$or": [ { "c-count": [ { "numeric": [ ">", 0, "<=", 5 ] } ] }, { "d-count": [ { "numeric": [ "<", 10 ] } ] }, { "x-limit": [ { "numeric": [ "=", 3.018e2 ] } ] } ]', () => {
    const pattern = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(match(pattern, { detail: { 'd-count': 3 } })).toBe(true);
    expect(match(pattern, { detail: { 'x-limit': 301.8 } })).toBe(true);
    expect(match(pattern, { detail: { 'c-count': 7, 'd-count': 12 } })).toBe(false);
  });
});

describe("AuthKit's own rules", () => {
  it('routes permanent bounces and leaves transient ones alone', () => {
    const pattern = {
      source: ['aws.ses'],
      'detail-type': ['Email Bounced'],
      detail: { bounce: { bounceType: ['Permanent'] } },
    };
    const bounce = (bounceType: string) => ({
      source: 'aws.ses',
      'detail-type': 'Email Bounced',
      detail: { eventType: 'Bounce', bounce: { bounceType, bounceSubType: 'General' } },
    });
    expect(match(pattern, bounce('Permanent'))).toBe(true);
    expect(match(pattern, bounce('Transient'))).toBe(false);
    expect(match(pattern, bounce('Undetermined'))).toBe(false);
  });

  it('routes final End User Messaging failures, not carrier-transient ones', () => {
    const pattern = {
      source: ['aws.sms-voice'],
      'detail-type': ['Text Message Delivery Status Updated'],
      detail: { isFinal: [true], eventType: ['TEXT_INVALID', 'TEXT_UNREACHABLE', 'TEXT_BLOCKED'] },
    };
    const status = (eventType: string, isFinal: boolean) => ({
      source: 'aws.sms-voice',
      'detail-type': 'Text Message Delivery Status Updated',
      detail: { eventType, isFinal },
    });
    expect(match(pattern, status('TEXT_INVALID', true))).toBe(true);
    expect(match(pattern, status('TEXT_CARRIER_UNREACHABLE', false))).toBe(false);
    expect(match(pattern, status('TEXT_DELIVERED', true))).toBe(false);
  });
});

describe('checking patterns when the rules are read', () => {
  it.each([
    [{ source: 'aws.ses' }, 'must be an array of values or an object'],
    [{ detail: { state: [{ contains: 'x' }] } }, 'unsupported matcher'],
    [{ detail: { n: [{ numeric: ['>', 'five'] }] } }, 'bad numeric matcher'],
    [{ detail: { n: [{ exists: 'yes' }] } }, 'exists takes true or false'],
    [{ $or: [{ source: ['a'] }] }, 'at least two patterns'],
  ])('refuses %j', (pattern, message) => {
    expect(() => checkPattern(pattern)).toThrow(message);
  });

  it('accepts the documented forms', () => {
    expect(() =>
      checkPattern({
        source: ['aws.ses'],
        detail: { bounce: { bounceType: ['Permanent'] }, n: [{ numeric: ['>=', 1] }], s: [{ exists: true }] },
      }),
    ).not.toThrow();
  });
});
