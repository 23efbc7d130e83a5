import { createHash, timingSafeEqual } from 'node:crypto';
import { config } from './config.ts';
import type { HttpRequest } from './http.ts';
import { logger, metrics } from './powertools.ts';
import { secretSource } from './secrets.ts';

/** The header the trusted proxy adds to every request it forwards, holding the proxy's secret. */
export const PROXY_SECRET_HEADER = 'x-authkit-proxy-secret';

/** Only when the deployment names an ASN header: then the proxy's secret id is required at cold start. */
const proxySecret = config.rateLimit.asnHeader ? secretSource('proxy') : undefined;

/**
 * The client's autonomous system number, from the header a trusted proxy sets (e.g. CloudFront's
 * CloudFront-Viewer-ASN). A client could send that header too, and the regional API stays callable
 * without the proxy, so the header is honoured only on a request that also carries the proxy's
 * secret. Otherwise it is ignored (the request goes on without an ASN budget) and counted, so an
 * operator sees traffic that bypassed the proxy or a proxy that sends no or the wrong secret.
 */
export async function trustedAsn(request: HttpRequest): Promise<string | undefined> {
  if (!proxySecret) return undefined;
  const sent = request.headers[PROXY_SECRET_HEADER];
  // A failed read of the secret fails the request, naming the secret, as every secret's does.
  const proxied = sent !== undefined && sameSecret(sent, await proxySecret());
  if (!proxied) {
    const metric = sent === undefined ? 'ProxySecretMissing' : 'ProxySecretWrong';
    metrics.addMetric(metric, 'Count', 1);
    // Never the values: neither the secret sent nor the ASN claimed.
    logger.warn('ASN header ignored: the request does not carry the proxy secret', {
      reason: metric,
      asnHeaderSent: request.headers[config.rateLimit.asnHeader] !== undefined,
    });
    return undefined;
  }
  const value = request.headers[config.rateLimit.asnHeader]?.trim();
  return value && /^\d{1,10}$/.test(value) ? value : undefined;
}

/** Constant time whatever the lengths: the SHA-256 digests are compared, never the texts. */
function sameSecret(sent: string, secret: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(sent), digest(secret));
}
