import {
  CODE_VERIFIER_PATTERN,
  completeLinkSignIn,
  InvalidRequest,
  type LinkSignInDeps,
} from '@authkit/core';
import { optionalDevice } from '../_shared/device.ts';
import { httpHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';
import { onlyFields, optionalString, requiredString } from '../_shared/validate.ts';

export type MagicLinkVerifyDeps = { observability: Observability; signIn: LinkSignInDeps };

/**
 * POST /v1/auth/magic-link/verify: the token from the link's fragment and the code verifier the
 * starting browser kept. Without the verifier, or with another, the answer is 401 invalid_link and
 * nothing is counted: the link stays usable where it was asked for.
 */
export function magicLinkVerifyHandler(deps: MagicLinkVerifyDeps) {
  const { metrics } = deps.observability;
  return httpHandler(deps.observability, async (request) => {
    const { body } = request;
    onlyFields(body, ['token', 'codeVerifier', 'device']);
    const token = requiredString(body, 'token', 256);
    const codeVerifier = optionalString(body, 'codeVerifier', 128);
    if (codeVerifier !== undefined && !CODE_VERIFIER_PATTERN.test(codeVerifier)) {
      throw new InvalidRequest(
        'codeVerifier',
        'must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)',
      );
    }
    const device = optionalDevice(body, request.headers['user-agent']);
    const tokens = await completeLinkSignIn(deps.signIn, {
      token,
      codeVerifier,
      source: { ip: request.sourceIp },
      device,
      requestId: request.requestId,
    }).catch((error: unknown) => {
      metrics.addMetric('MagicLinkVerifyFailed', 'Count', 1);
      throw error;
    });
    metrics.addMetric('MagicLinkVerifySucceeded', 'Count', 1);
    return { status: 200, body: tokens };
  });
}

export const handler = deployed((root) => root.magicLinkVerify(), magicLinkVerifyHandler);
