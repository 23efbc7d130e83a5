import { AuthKitError, DeliveryFailed, type DestinationRefusal, ProviderUnavailable } from '../errors.ts';

export type SdkError = {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
};

/**
 * Throttling codes a service may answer with a plain 400 and no retryable trait (SNS's `Throttling`
 * is not in its model): the SDK's own list of them, less the ones no provider here uses.
 */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

/**
 * Sorts a provider failure into the workflow's two outcomes: transient (5xx, throttling, network) is
 * ProviderUnavailable and retried; a refusal of this message (4xx) is DeliveryFailed and is not.
 * `refusedDestination` names the refusals that condemn the destination itself (see
 * DeliveryFailed.destinationRefusal); every other refusal may be ours (access, quota, settings), and
 * blaming the destination for it would denylist people for the operator's mistake.
 */
export function asProviderError(
  error: unknown,
  provider: string,
  refusedDestination: (sdk: SdkError) => DestinationRefusal | undefined = () => undefined,
): AuthKitError {
  if (error instanceof AuthKitError) return error;
  const sdk = error as SdkError;
  const status = sdk.$metadata?.httpStatusCode;
  const refused =
    sdk.$fault === 'client' &&
    status !== undefined &&
    status !== 429 &&
    !sdk.$retryable &&
    !THROTTLING.has(sdk.name ?? '');
  if (!refused) {
    return new ProviderUnavailable(`${provider} is unavailable (${sdk.name ?? 'error'})`, { cause: error });
  }
  return new DeliveryFailed(`${provider} refused the message (${sdk.name ?? 'error'})`, {
    cause: error,
    destinationRefusal: refusedDestination(sdk),
  });
}
