import {
  type ChallengeWorkflow,
  InvalidRequest,
  type Random,
  type Refusal,
  type RefusalDeps,
  recordRefusal,
  startChallenge,
} from '@authkit/core';
import type { TrustedAsn } from '../_shared/asn.ts';
import { optionalDevice } from '../_shared/device.ts';
import { httpHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';
import {
  NOT_YET_SUPPORTED,
  onlyFields,
  optionalEnum,
  optionalString,
  refuseNotYetSupported,
  requiredString,
} from '../_shared/validate.ts';

export type StartDeps = {
  observability: Observability;
  workflow: ChallengeWorkflow;
  random: Random;
  trustedAsn: TrustedAsn;
  refusals: RefusalDeps;
};

/** POST /v1/auth/start: validates, then runs one Express workflow execution for the new challenge. */
export function startHandler(deps: StartDeps) {
  return httpHandler(deps.observability, async (request) => {
    const { body } = request;
    onlyFields(body, [
      'identifier',
      'channel',
      'method',
      'captchaToken',
      'device',
      ...Object.keys(NOT_YET_SUPPORTED),
    ]);
    refuseNotYetSupported(body, NOT_YET_SUPPORTED);
    // Checked like verify's, so a client learns of a bad description at once; the device that
    // matters is the one that verifies (it may be another: a code read on a phone).
    optionalDevice(body, undefined);
    const identifier = requiredString(body, 'identifier', 320);
    const channel = optionalEnum(body, 'channel', ['email', 'sms', 'whatsapp']);
    if (optionalEnum(body, 'method', ['otp', 'magic_link']) === 'magic_link') {
      throw new InvalidRequest('method', 'magic_link is not enabled on this deployment');
    }
    const from = {
      ip: request.sourceIp,
      asn: await deps.trustedAsn(request),
      captchaToken: optionalString(body, 'captchaToken', 4096),
    };
    const refused = (refusal: Omit<Refusal, 'requestId'>) =>
      recordRefusal(deps.refusals, { ...refusal, requestId: request.requestId });
    return { status: 202, body: await startChallenge({ ...deps, refused }, { identifier, channel, from }) };
  });
}

export const handler = deployed((root) => root.start(), startHandler);
