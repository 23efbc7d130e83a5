import {
  type CaptchaMode,
  CaptchaRequired,
  type CaptchaVerifier,
  type ChallengeWorkflowInput,
  checkCaptcha,
  refusedBy,
} from '@authkit/core';
import { stepHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

/** `verifier` is absent when the deployment has no captcha provider. */
export type CaptchaDeps = {
  observability: Observability;
  verifier: CaptchaVerifier | undefined;
  mode: CaptchaMode;
};

/**
 * VerifyCaptcha: with a provider configured, CaptchaRequired when a token is needed (every send in
 * `always` mode, risky ones in `escalate` mode) and missing, CaptchaInvalid when one is rejected.
 */
export function captchaHandler(deps: CaptchaDeps) {
  return stepHandler(deps.observability, async (input: ChallengeWorkflowInput) => {
    await checkCaptcha(deps.verifier, {
      captchaToken: input.captchaToken,
      sourceIp: input.sourceIp,
      required: deps.mode === 'always' || input.risk?.elevated === true,
    }).catch((error: unknown) => {
      // Asked for because the SMS breaker tripped over the destination: the audit names the breaker.
      const byBreaker = error instanceof CaptchaRequired && input.risk?.smsBreaker && deps.mode !== 'always';
      throw byBreaker ? refusedBy(error, 'sms-breaker') : error;
    });
    return {};
  });
}

export const handler = deployed((root) => root.captcha(), captchaHandler);
