import { type FeedbackDeps, feedbackHandler } from '../_shared/feedback.ts';
import { deployed } from '../_shared/lambda.ts';

/**
 * An SMS refused for good, as End User Messaging reports it ("Text Message Delivery Status Updated")
 * or as the send step reports SNS's refusal (`authkit` "SmsDeliveryFailed"): the number goes on the
 * denylist.
 */
export function smsFeedbackHandler(deps: FeedbackDeps) {
  return feedbackHandler(deps, 'sms');
}

export const handler = deployed((root) => root.feedback(), smsFeedbackHandler);
