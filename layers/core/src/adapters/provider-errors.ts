import { AuthKitError, DeliveryFailed, ProviderUnavailable } from '../errors.ts';

type SdkError = {
  name?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
};

/**
 * Sorts a provider failure into the workflow's two outcomes: transient (5xx, throttling, network) is
 * ProviderUnavailable and retried; a refusal of this message (4xx) is DeliveryFailed and is not.
 */
export function asProviderError(error: unknown, provider: string): AuthKitError {
  if (error instanceof AuthKitError) return error;
  const sdk = error as SdkError;
  const status = sdk.$metadata?.httpStatusCode;
  const refused = sdk.$fault === 'client' && status !== undefined && status !== 429 && !sdk.$retryable;
  return refused
    ? new DeliveryFailed(`${provider} refused the message (${sdk.name ?? 'error'})`, { cause: error })
    : new ProviderUnavailable(`${provider} is unavailable (${sdk.name ?? 'error'})`, { cause: error });
}
