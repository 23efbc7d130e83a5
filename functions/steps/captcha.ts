import { checkCaptcha } from '@authkit/core';
import { HttpCaptchaVerifier } from '@authkit/core/adapters/captcha';
import { config } from '../_shared/config.ts';
import { stepHandler } from '../_shared/handler.ts';
import { secretSource } from '../_shared/secrets.ts';
import type { ChallengeWorkflowInput } from '../_shared/workflow.ts';

const verifier =
  config.captcha.provider === 'none'
    ? undefined
    : new HttpCaptchaVerifier({
        url: config.captcha.verifyUrl,
        secret: secretSource('captcha'),
      });

/**
 * VerifyCaptcha: with a provider configured, CaptchaRequired when a token is needed (every start in
 * `always` mode, risky starts in `escalate` mode) and missing, CaptchaInvalid when one is rejected.
 */
export const handler = stepHandler(async (input: ChallengeWorkflowInput) => {
  await checkCaptcha(verifier, {
    captchaToken: input.captchaToken,
    sourceIp: input.sourceIp,
    required: config.captcha.mode === 'always' || input.risk?.elevated === true,
  });
  return {};
});
