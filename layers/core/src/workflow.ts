/**
 * Start and resend are the same request to the Express challenge workflow, which alone decides
 * whether a message goes out: it screens (lockout and budgets, denylist, captcha when the risk
 * calls for it) and then claims and delivers the send. A refusal comes back as the typed error its
 * Fail state names.
 */
import type { Refusal } from './audit.ts';
import { type ChallengeView, resendRefusal } from './challenge.ts';
import type { Config } from './config.ts';
import { ChallengeClosed, InvalidRequest } from './errors.ts';
import { type Channel, chooseChannel, normalizeIdentifier } from './identifier.ts';
import { linkRequest } from './magic-link.ts';
import type { ChallengeStore, Clock, Random, SignInMethod, Source } from './ports.ts';
import type { SendRisk } from './screening.ts';
import { generateId } from './secrets.ts';

/**
 * The workflow's input. Screening steps pass it on unchanged (`ResultPath: null`), except that
 * CheckRateLimit adds `risk`; SendChallenge's result is the execution's output.
 */
export type ChallengeWorkflowInput = {
  challengeId: string;
  /** 1 for a start; a resend's is the challenge's next send. The send step is keyed by it. */
  sendNumber: number;
  /** Normalised email address or E.164 number. */
  identifier: string;
  channel: Channel;
  /** Absent: `otp`. A resend's is its challenge's. */
  method?: SignInMethod | undefined;
  /** A magic link's first send: the app page it continues to, and the PKCE code challenge. */
  redirectUri?: string | undefined;
  codeChallenge?: string | undefined;
  sourceIp?: string | undefined;
  /** The client's ASN, when a trusted proxy header carries it. */
  asn?: string | undefined;
  captchaToken?: string | undefined;
  /** Set by CheckRateLimit (`ResultPath: $.risk`), read by VerifyCaptcha. */
  risk?: SendRisk | undefined;
};

export interface ChallengeWorkflow {
  /** Runs one execution; a refusal throws its typed error. */
  run(input: ChallengeWorkflowInput): Promise<ChallengeView>;
}

export type SendRequestSource = Source & { captchaToken?: string | undefined };

/**
 * Told of every error a start or resend ends with; it counts and audits the refusals among them.
 * The start and resend functions always give one; specs of the workflow alone may leave it out.
 */
export type RefusalListener = (refusal: Omit<Refusal, 'requestId'>) => Promise<void>;

/** Runs the execution, telling `refused` of the error it ends with before rethrowing it. */
async function runHeard(
  deps: { workflow: ChallengeWorkflow; refused?: RefusalListener | undefined },
  input: ChallengeWorkflowInput,
): Promise<ChallengeView> {
  try {
    return await deps.workflow.run(input);
  } catch (error) {
    await deps.refused?.({
      error,
      challengeId: input.challengeId,
      identifier: input.identifier,
      sourceIp: input.sourceIp,
    });
    throw error;
  }
}

/**
 * A new challenge for `identifier`, by the channel asked for or the one its kind implies. A magic
 * link's (email only, and only where the deployment allows some redirect URI) is bound to the app
 * page it continues to and to the starting browser's code challenge.
 */
export async function startChallenge(
  deps: {
    workflow: ChallengeWorkflow;
    random: Random;
    config: Pick<Config, 'magicLinks'>;
    refused?: RefusalListener | undefined;
  },
  request: {
    identifier: string;
    channel?: Channel | undefined;
    method?: SignInMethod | undefined;
    redirectUri?: string | undefined;
    codeChallenge?: string | undefined;
    from: SendRequestSource;
  },
): Promise<ChallengeView> {
  const identifier = normalizeIdentifier(request.identifier);
  const link = request.method === 'magic_link' ? linkRequest(deps.config, identifier, request) : undefined;
  const channel = chooseChannel(identifier, request.channel);
  if (channel === 'whatsapp')
    throw new InvalidRequest('channel', 'whatsapp is not enabled on this deployment');
  return runHeard(deps, {
    challengeId: generateId(deps.random, 'ch'),
    sendNumber: 1,
    identifier: identifier.value,
    channel,
    ...(link && { method: 'magic_link' as const, ...link }),
    sourceIp: request.from.ip,
    asn: request.from.asn,
    captchaToken: request.from.captchaToken,
  });
}

/**
 * The challenge's next send. The challenge is read to learn where it goes and which send is next,
 * and to refuse at once what its claim would refuse anyway (closed, cooling down, at its cap)
 * rather than run the workflow for it; whether the send goes out, the send step's claim decides.
 */
export async function resendChallenge(
  deps: {
    workflow: ChallengeWorkflow;
    store: Pick<ChallengeStore, 'find'>;
    clock: Clock;
    config: Pick<Config, 'code'>;
    refused?: RefusalListener | undefined;
  },
  request: { challengeId: string; from: SendRequestSource },
): Promise<ChallengeView> {
  const challenge = await deps.store.find(request.challengeId);
  const early = resendRefusal(challenge, deps.clock.now(), deps.config.code);
  if (early || !challenge) {
    const error = early ?? new ChallengeClosed();
    await deps.refused?.({
      error,
      challengeId: request.challengeId,
      identifier: challenge?.destination,
      sourceIp: request.from.ip,
    });
    throw error;
  }
  return runHeard(deps, {
    challengeId: challenge.challengeId,
    sendNumber: challenge.sends + 1,
    identifier: challenge.destination,
    channel: challenge.channel,
    method: challenge.method,
    sourceIp: request.from.ip,
    asn: request.from.asn,
    captchaToken: request.from.captchaToken,
  });
}
