import type { Channel, SendRisk } from '@authkit/core';

/**
 * The Express workflow's input, built by the start function. Screening steps pass it on unchanged
 * (`ResultPath: null`); SendChallenge's result is the execution's output.
 */
export type ChallengeWorkflowInput = {
  challengeId: string;
  /** Normalised email address or E.164 number. */
  identifier: string;
  channel: Channel;
  sourceIp?: string | undefined;
  /** The client's ASN, when a trusted proxy header carries it. */
  asn?: string | undefined;
  captchaToken?: string | undefined;
  locale?: string | undefined;
  /** Set by CheckRateLimit (`ResultPath: $.risk`), read by VerifyCaptcha. */
  risk?: SendRisk | undefined;
};
