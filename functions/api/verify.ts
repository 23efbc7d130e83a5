import { completeSignIn, type SignInDeps } from '@authkit/core';
import { optionalDevice } from '../_shared/device.ts';
import { httpHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';
import { onlyFields, requiredString } from '../_shared/validate.ts';

export type VerifyDeps = { observability: Observability; signIn: SignInDeps };

/**
 * POST /v1/auth/verify: one code, one answer; a new user is created on first success. Wrong codes
 * count towards the lockout of this source network and of the identifier.
 */
export function verifyHandler(deps: VerifyDeps) {
  const { metrics } = deps.observability;
  return httpHandler(deps.observability, async ({ body, sourceIp, headers, requestId }) => {
    onlyFields(body, ['challengeId', 'code', 'device']);
    const challengeId = requiredString(body, 'challengeId', 64);
    const code = requiredString(body, 'code', 16);
    const device = optionalDevice(body, headers['user-agent']);
    const signIn = { challengeId, code, source: { ip: sourceIp }, device, requestId };
    const tokens = await completeSignIn(deps.signIn, signIn).catch((error: unknown) => {
      metrics.addMetric('VerifyFailed', 'Count', 1);
      throw error;
    });
    metrics.addMetric('VerifySucceeded', 'Count', 1);
    return { status: 200, body: tokens };
  });
}

export const handler = deployed((root) => root.verify(), verifyHandler);
