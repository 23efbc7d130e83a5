import { config } from './config.ts';
import type { HttpRequest } from './http.ts';

/**
 * The client's autonomous system number, from the header a trusted proxy sets (e.g. CloudFront's
 * CloudFront-Viewer-ASN). Read only when the deployment names the header: a client could send it
 * too, so it is trusted only where the API is reachable through that proxy alone.
 */
export function trustedAsn(request: HttpRequest): string | undefined {
  if (!config.rateLimit.asnHeader) return undefined;
  const value = request.headers[config.rateLimit.asnHeader]?.trim();
  return value && /^\d{1,10}$/.test(value) ? value : undefined;
}
