import {
  type Captcha,
  type CaptchaMode,
  CaptchaRequired,
  type ChallengeWorkflowInput,
  checkCaptcha,
  refusedBy,
} from '@authkit/core';
import { stepHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

/** `captcha` is absent when the deployment has no captcha provider. */
export type CaptchaDeps = {
  observability: Observability;
  captcha: Captcha | undefined;
  mode: CaptchaMode;
};

/**
 * VerifyCaptcha: with a provider configured, CaptchaRequired when a token is needed (every send in
 * `always` mode, risky ones in `escalate` mode) and missing, CaptchaInvalid when one is rejected,
 * ServiceUnavailable when the provider cannot answer (unless an email send may fail open).
 */
export function captchaHandler(deps: CaptchaDeps) {
  const { logger, metrics } = deps.observability;
  return stepHandler(deps.observability, async (input: ChallengeWorkflowInput) => {
    const outcome = await checkCaptcha(deps.captcha, {
      captchaToken: input.captchaToken,
      sourceIp: input.sourceIp,
      required: deps.mode === 'always' || input.risk?.elevated === true,
      channel: input.channel,
    }).catch((error: unknown) => {
      // Asked for because the SMS breaker tripped over the destination: the audit names the breaker.
      const byBreaker = error instanceof CaptchaRequired && input.risk?.smsBreaker && deps.mode !== 'always';
      throw byBreaker ? refusedBy(error, 'sms-breaker') : error;
    });
    if (outcome === 'failed-open') {
      // The operator chose this for email; the metric shows how often sends went unchecked.
      logger.warn('captcha verifier unavailable: email send proceeds without captcha');
      metrics.addMetric('CaptchaFailOpen', 'Count', 1);
    }
    return {};
  });
}

export const handler = deployed((root) => root.captcha(), captchaHandler);
