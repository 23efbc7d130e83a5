import { createHash } from 'node:crypto';
import { type ChallengeStore, type Clock, type Config, inspectLink, type LinkPage } from '@authkit/core';
import { httpHandler } from '../_shared/handler.ts';
import type { HttpResult } from '../_shared/http.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type MagicLinkPageDeps = {
  observability: Observability;
  store: Pick<ChallengeStore, 'find'>;
  clock: Clock;
  config: Pick<Config, 'code' | 'magicLinks' | 'product'>;
};

const STYLE = [
  'body{font-family:system-ui,sans-serif;line-height:1.5;color:#222;max-width:34rem;margin:3rem auto;padding:0 1rem}',
  'a.continue{display:inline-block;padding:.6rem 1.2rem;background:#1a56db;color:#fff;border-radius:6px;text-decoration:none}',
  '.other{color:#555;font-size:.95rem}',
];

/**
 * Nothing runs on the page and nothing loads: no script, no image, no form, no framing (a button
 * that continues with the token must not be clicked through someone else's frame). Its one style
 * sheet is allowed by hash.
 */
function pageHeaders(): Record<string, string> {
  const style = createHash('sha256').update(STYLE.join('')).digest('base64');
  return {
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': `default-src 'none'; style-src 'sha256-${style}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
    'x-robots-tag': 'noindex',
  };
}

const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function renderPage(page: LinkPage, productName: string): string {
  const product = escapeHtml(productName);
  const main = page.open
    ? `<h1>Sign in to ${product}</h1>
<p>Someone (we hope you) asked to sign in as <strong>${escapeHtml(page.destination)}</strong>.</p>
<p><a class="continue" rel="noreferrer" href="${escapeHtml(page.continueTo)}">Continue to ${escapeHtml(page.appOrigin)}</a></p>
<p class="other">This link signs in only in the browser where you started. On another device? Type the code from the same email where you started instead.</p>`
    : `<h1>This sign-in link no longer works</h1>
<p>It has expired, was used already, or a newer email replaced it. Start signing in again where you started.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in to ${product}</title><style>${STYLE.join('')}</style></head>
<body><main>
${main}
</main></body></html>`;
}

/**
 * GET and HEAD /v1/auth/magic-link?token=…: a confirmation page that consumes nothing, so a mail
 * scanner that fetches the link changes nothing (this function's role cannot write at all). An open
 * link's page continues to the app with the token in the URL's fragment; any other token (unknown,
 * expired, used, replaced) gets one page saying the link no longer works, with 404.
 */
export function magicLinkPageHandler(deps: MagicLinkPageDeps) {
  const { metrics } = deps.observability;
  return httpHandler(deps.observability, async (request): Promise<HttpResult> => {
    const page = await inspectLink(deps, request.query.token);
    metrics.addMetric(page.open ? 'MagicLinkPageShown' : 'MagicLinkPageClosed', 'Count', 1);
    const headers = { ...pageHeaders(), 'content-type': 'text/html; charset=utf-8' };
    const status = page.open ? 200 : 404;
    if (request.method === 'HEAD') return { status, headers };
    return { status, headers, html: true, body: renderPage(page, deps.config.product.name) };
  });
}

export const handler = deployed((root) => root.magicLinkPage(), magicLinkPageHandler);
