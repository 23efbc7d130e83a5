import {
  type ChallengeWorkflow,
  type Config,
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
  config: Pick<Config, 'magicLinks'>;
};

/** Fields that belong to a magic link and mean nothing to a code. */
const LINK_FIELDS = ['redirectUri', 'codeChallenge'] as const;

/**
 * POST /v1/auth/start: validates, then runs one Express workflow execution for the new challenge,
 * a code's or a magic link's alike: the workflow alone decides whether a message goes out.
 */
export function startHandler(deps: StartDeps) {
  return httpHandler(deps.observability, async (request) => {
    const { body } = request;
    onlyFields(body, [
      'identifier',
      'channel',
      'method',
      'captchaToken',
      'device',
      ...LINK_FIELDS,
      ...Object.keys(NOT_YET_SUPPORTED),
    ]);
    refuseNotYetSupported(body, NOT_YET_SUPPORTED);
    const identifier = requiredString(body, 'identifier', 320);
    const channel = optionalEnum(body, 'channel', ['email', 'sms', 'whatsapp']);
    const method = optionalEnum(body, 'method', ['otp', 'magic_link']);
    const link = {
      redirectUri: optionalString(body, 'redirectUri', 2048),
      codeChallenge: optionalString(body, 'codeChallenge', 64),
    };
    const stray = LINK_FIELDS.find((field) => method !== 'magic_link' && link[field] !== undefined);
    if (stray) throw new InvalidRequest(stray, 'is only for method magic_link');
    // Checked like verify's, so a client learns of a bad description at once; the device that
    // signs in is the one that verifies (it may be another: a code read on a phone). Here it
    // names the device in the audit record of a refused start.
    const device = optionalDevice(body, request.headers['user-agent']);
    const from = {
      ip: request.sourceIp,
      asn: await deps.trustedAsn(request),
      captchaToken: optionalString(body, 'captchaToken', 4096),
    };
    const refused = (refusal: Omit<Refusal, 'requestId'>) =>
      recordRefusal(deps.refusals, { ...refusal, requestId: request.requestId, device });
    return {
      status: 202,
      body: await startChallenge({ ...deps, refused }, { identifier, channel, method, ...link, from }),
    };
  });
}

export const handler = deployed((root) => root.start(), startHandler);
