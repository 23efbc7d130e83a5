/**
 * A deployment behind CloudFront that trusts CloudFront-Viewer-ASN: starts are also budgeted per
 * autonomous system. (Handlers read config once per process, so this needs a runtime of its own.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LocalRuntime } from '../../local/runtime.ts';
import { client } from '../support/http.ts';
import { startTestRuntime, uniqueEmail } from '../support/stack.ts';

let runtime: LocalRuntime;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  runtime = await startTestRuntime({ TrustedAsnHeader: 'CloudFront-Viewer-ASN', RateLimitPerAsn: '2' });
  http = client(runtime.url);
});

afterAll(async () => {
  await runtime.close();
});

const startFrom = (asn: string) =>
  http.post('/v1/auth/start', { identifier: uniqueEmail('asn') }, { 'cloudfront-viewer-asn': asn });

describe('the per-ASN budget', () => {
  it('refuses an autonomous system past its budget, and only that one', async () => {
    expect((await startFrom('64496')).status).toBe(202);
    expect((await startFrom('64496')).status).toBe(202);
    const refused = await startFrom('64496');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect((await startFrom('64497')).status).toBe(202);
  });

  it('ignores a header value that is not an AS number', async () => {
    for (let i = 0; i < 3; i++) expect((await startFrom('not-a-number')).status).toBe(202);
  });
});
