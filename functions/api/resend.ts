import {
  type ChallengeStore,
  type ChallengeWorkflow,
  type Clock,
  type Config,
  type Refusal,
  type RefusalDeps,
  recordRefusal,
  resendChallenge,
} from '@authkit/core';
import type { TrustedAsn } from '../_shared/asn.ts';
import { httpHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';
import {
  NOT_YET_SUPPORTED,
  onlyFields,
  optionalString,
  refuseNotYetSupported,
  requiredString,
} from '../_shared/validate.ts';

export type ResendDeps = {
  observability: Observability;
  workflow: ChallengeWorkflow;
  store: Pick<ChallengeStore, 'find'>;
  clock: Clock;
  config: Pick<Config, 'code'>;
  trustedAsn: TrustedAsn;
  refusals: RefusalDeps;
};

/**
 * POST /v1/auth/resend: the challenge's next code, through the same workflow as a start — the
 * lockout, budgets, denylist and captcha meet it as they meet a start, and the send step's claim
 * enforces the cool-down and the send cap.
 */
export function resendHandler(deps: ResendDeps) {
  return httpHandler(deps.observability, async (request) => {
    const { body } = request;
    onlyFields(body, ['challengeId', 'captchaToken', 'locale']);
    refuseNotYetSupported(body, { locale: NOT_YET_SUPPORTED.locale });
    const from = {
      ip: request.sourceIp,
      asn: await deps.trustedAsn(request),
      captchaToken: optionalString(body, 'captchaToken', 4096),
    };
    const challengeId = requiredString(body, 'challengeId', 64);
    const refused = (refusal: Omit<Refusal, 'requestId'>) =>
      recordRefusal(deps.refusals, { ...refusal, requestId: request.requestId });
    return { status: 202, body: await resendChallenge({ ...deps, refused }, { challengeId, from }) };
  });
}

export const handler = deployed((root) => root.resend(), resendHandler);
