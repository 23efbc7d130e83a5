import { type FeedbackDeps, feedbackHandler } from '../_shared/feedback.ts';
import { deployed } from '../_shared/lambda.ts';

/** SES "Email Bounced" (Permanent) and "Email Complaint Received": the address goes on the denylist. */
export function emailFeedbackHandler(deps: FeedbackDeps) {
  return feedbackHandler(deps, 'email');
}

export const handler = deployed((root) => root.feedback(), emailFeedbackHandler);
