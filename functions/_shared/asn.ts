import { createHash, timingSafeEqual } from 'node:crypto';
import { ProxyRequired } from '@authkit/core';
import { config } from './config.ts';
import type { HttpRequest } from './http.ts';
import { logger, metrics } from './powertools.ts';
import { secretSource } from './secrets.ts';

/** The header the trusted proxy adds to every request it forwards, holding the proxy's secret. */
export const PROXY_SECRET_HEADER = 'x-authkit-proxy-secret';

/** Only when the deployment names an ASN header: then the proxy's secret id is required at cold start. */
const proxySecret = config.proxy.asnHeader ? secretSource('proxy') : undefined;

/**
 * The client's autonomous system number, from the header a trusted proxy sets (e.g. CloudFront's
 * CloudFront-Viewer-ASN). A client could send that header too, and the regional API stays callable
 * without the proxy, so a deployment that trusts the header takes budgeted requests only through
 * the proxy: one without the proxy's secret is refused (403 `proxy_required`) and counted, so an
 * operator sees traffic that bypassed the proxy or a proxy that sends no or the wrong secret.
 */
export async function trustedAsn(request: HttpRequest): Promise<string | undefined> {
  if (!proxySecret) return undefined;
  const sent = request.headers[PROXY_SECRET_HEADER];
  // A failed read of the secret fails the request, naming the secret, as every secret's does.
  if (sent === undefined || !sameSecret(sent, await proxySecret())) {
    const reason = sent === undefined ? 'ProxySecretMissing' : 'ProxySecretWrong';
    metrics.addMetric(reason, 'Count', 1);
    // Never the values: neither the secret sent nor the ASN claimed.
    logger.warn('request refused: it did not come through the proxy', {
      reason,
      asnHeaderSent: request.headers[config.proxy.asnHeader] !== undefined,
    });
    throw new ProxyRequired();
  }
  const value = request.headers[config.proxy.asnHeader]?.trim();
  return value && /^\d{1,10}$/.test(value) ? value : undefined;
}

/** Constant time whatever the lengths: the SHA-256 digests are compared, never the texts. */
function sameSecret(sent: string, secret: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(sent), digest(secret));
}
