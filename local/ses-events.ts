/**
 * `/_aws/sesv2`: the functions' SES endpoint. Every call goes through to aws-ses-v2-local (which
 * stores the mail for the local inbox); a SendEmail that names a configuration set with an
 * EventBridge destination then produces the `aws.ses` events SES would publish, honouring SES's
 * mailbox simulator: bounce@simulator.amazonses.com bounces (Permanent, General, 5.1.1),
 * complaint@ is delivered then complained about (abuse), success@ and ooto@ are delivered (an
 * out-of-office reply is not a bounce), and any other address is delivered. Only the event types
 * the destination's MatchingEventTypes lists are published, as on AWS.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type BusEvent, busEvent, type LocalEventBus } from './event-bus.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template.ts';

export const SESV2_PATH = '/_aws/sesv2';
const SIMULATOR_DOMAIN = 'simulator.amazonses.com';

type SendEmailRequest = {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ConfigurationSetName?: string;
  EmailTags?: { Name: string; Value: string }[];
  Content?: { Simple?: { Subject?: { Data?: string } } };
};

type Outcome = 'delivery' | 'bounce' | 'complaint';

/** What SES's mailbox simulator does with mail to each of its addresses (a `+label` is ignored). */
export function simulatorOutcomes(address: string): Outcome[] {
  const [local = '', domain = ''] = address.toLowerCase().split('@');
  if (domain !== SIMULATOR_DOMAIN) return ['delivery'];
  switch (local.split('+')[0]) {
    case 'bounce':
      return ['bounce'];
    case 'complaint':
      return ['delivery', 'complaint'];
    default:
      // success@, ooto@ (the auto-response goes back to the sender, not to events) and the rest.
      return ['delivery'];
  }
}

export async function handleSesV2(
  options: { sesEndpoint: string; bus: LocalEventBus; destinations: Map<string, Set<string>> },
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = url.pathname.slice(SESV2_PATH.length) || '/';
  const method = request.method ?? 'GET';
  const upstream = await fetch(`${options.sesEndpoint}${path}${url.search}`, {
    method,
    // aws-ses-v2-local wants a signature's Authorization header, as SES does; it does not check it.
    headers: Object.fromEntries(
      ['content-type', 'authorization', 'x-amz-date'].flatMap((name) => {
        const value = request.headers[name];
        return typeof value === 'string' ? [[name, value]] : [];
      }),
    ),
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: new Uint8Array(body) }),
  });
  const answer = Buffer.from(await upstream.arrayBuffer());
  response.writeHead(upstream.status, {
    'content-type': upstream.headers.get('content-type') ?? 'application/json',
    'x-amzn-requestid': randomUUID(),
  });
  response.end(answer);
  if (method !== 'POST' || path !== '/v2/email/outbound-emails' || !upstream.ok) return;
  const { MessageId } = JSON.parse(answer.toString('utf8')) as { MessageId: string };
  const sent = JSON.parse(body.toString('utf8')) as SendEmailRequest;
  const types = sent.ConfigurationSetName ? options.destinations.get(sent.ConfigurationSetName) : undefined;
  if (!types) return;
  for (const event of sesEvents(sent, MessageId, new Date())) {
    if (types.has(event.type)) options.bus.publish(event.event);
  }
}

/** The events SES publishes for one sent email, in the order it would publish them. */
export function sesEvents(
  sent: SendEmailRequest,
  messageId: string,
  sentAt: Date,
): { type: 'send' | Outcome; event: BusEvent }[] {
  const from = sent.FromEmailAddress ?? '';
  const destination = [
    ...(sent.Destination?.ToAddresses ?? []),
    ...(sent.Destination?.CcAddresses ?? []),
    ...(sent.Destination?.BccAddresses ?? []),
  ];
  const tags: Record<string, string[]> = {
    'ses:configuration-set': [sent.ConfigurationSetName ?? ''],
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [from.split('@')[1] ?? ''],
    'ses:caller-identity': ['local'],
  };
  for (const tag of sent.EmailTags ?? []) tags[tag.Name] = [tag.Value];
  const mail = {
    timestamp: sentAt.toISOString(),
    source: from,
    sourceArn: `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:identity/${from.split('@')[1] ?? from}`,
    sendingAccountId: LOCAL_ACCOUNT,
    messageId,
    destination,
    headersTruncated: false,
    headers: [],
    commonHeaders: {
      from: [from],
      to: sent.Destination?.ToAddresses ?? [],
      messageId,
      subject: sent.Content?.Simple?.Subject?.Data ?? '',
    },
    tags,
  };
  const at = (ms: number) => new Date(sentAt.getTime() + ms);
  const event = (
    type: 'send' | Outcome,
    detailType: string,
    eventType: string,
    extra: object,
    ms: number,
  ) => ({
    type,
    event: busEvent({
      source: 'aws.ses',
      detailType,
      time: at(ms),
      resources: [
        `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:configuration-set/${sent.ConfigurationSetName}`,
      ],
      detail: { eventType, mail, ...extra },
    }),
  });
  const events = [event('send', 'Email Sent', 'Send', { send: {} }, 0)];
  for (const recipient of destination) {
    for (const outcome of simulatorOutcomes(recipient)) {
      if (outcome === 'delivery') {
        events.push(
          event(
            'delivery',
            'Email Delivered',
            'Delivery',
            {
              delivery: {
                timestamp: at(800).toISOString(),
                processingTimeMillis: 800,
                recipients: [recipient],
                smtpResponse: '250 2.6.0 Message received',
                reportingMTA: 'a8-70.smtp-out.amazonses.com',
              },
            },
            800,
          ),
        );
      } else if (outcome === 'bounce') {
        events.push(
          event(
            'bounce',
            'Email Bounced',
            'Bounce',
            {
              bounce: {
                feedbackId: feedbackId(),
                bounceType: 'Permanent',
                bounceSubType: 'General',
                bouncedRecipients: [
                  {
                    emailAddress: recipient,
                    action: 'failed',
                    status: '5.1.1',
                    diagnosticCode: 'smtp; 550 5.1.1 user unknown',
                  },
                ],
                timestamp: at(900).toISOString(),
                reportingMTA: 'dns; amazonses.com',
              },
            },
            900,
          ),
        );
      } else {
        events.push(
          event(
            'complaint',
            'Email Complaint Received',
            'Complaint',
            {
              complaint: {
                feedbackId: feedbackId(),
                complaintSubType: null,
                complainedRecipients: [{ emailAddress: recipient }],
                timestamp: at(2000).toISOString(),
                userAgent: 'Amazon SES Mailbox Simulator',
                complaintFeedbackType: 'abuse',
                arrivalDate: at(1500).toISOString(),
              },
            },
            2000,
          ),
        );
      }
    }
  }
  return events;
}

/** SES feedback ids look like its message ids: a hex timestamp, then a uuid and a suffix. */
const feedbackId = () => `${Date.now().toString(16).padStart(16, '0')}-${randomUUID()}-000000`;
