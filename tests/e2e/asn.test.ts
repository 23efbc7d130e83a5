/**
 * A deployment behind CloudFront that trusts CloudFront-Viewer-ASN: starts and resends are also
 * budgeted per autonomous system, and are taken only through the proxy (its secret header); any
 * other start or resend is refused. (Handlers read config once per process, so this needs a
 * runtime of its own.)
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { LocalRuntime } from '../../local/runtime.ts';
import { TABLES } from '../support/core-fixtures.ts';
import { client } from '../support/http.ts';
import { documentClient, startTestRuntime, uniqueEmail } from '../support/stack.ts';

const PROXY_SECRET_NAME = 'authkit/proxy';
const PROXY_SECRET = 'test-proxy-secret-'.padEnd(48, 'x');
const WRONG_SECRET = 'test-proxy-secret-'.padEnd(48, 'y');

let runtime: LocalRuntime;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  runtime = await startTestRuntime(
    {
      TrustedAsnHeader: 'CloudFront-Viewer-ASN',
      ProxySecretName: PROXY_SECRET_NAME,
      RateLimitPerAsn: '2',
      // The line an ignored header leaves is a warning.
      LogLevel: 'WARN',
    },
    { [PROXY_SECRET_NAME]: PROXY_SECRET },
  );
  http = client(runtime.url);
});

afterAll(async () => {
  await runtime.close();
});

/** CloudFront's ASN header and, unless `proxySecret` is null, the header with the proxy's secret. */
const viaProxy = (asn: string, proxySecret: string | null): Record<string, string> => ({
  'cloudfront-viewer-asn': asn,
  ...(proxySecret === null ? {} : { 'x-authkit-proxy-secret': proxySecret }),
});

const startFrom = (asn: string, proxySecret: string | null = PROXY_SECRET) =>
  http.post('/v1/auth/start', { identifier: uniqueEmail('asn') }, viaProxy(asn, proxySecret));

/** A resend of `challengeId` from `asn`, its cool-down over (the last send moved to the epoch). */
const resendFrom = async (challengeId: unknown, asn: string, proxySecret: string | null = PROXY_SECRET) => {
  await documentClient().send(
    new UpdateCommand({
      TableName: TABLES.challenges,
      Key: { pk: challengeId },
      UpdateExpression: 'SET lastSentAt = :zero',
      ExpressionAttributeValues: { ':zero': 0 },
    }),
  );
  return http.post('/v1/auth/resend', { challengeId }, viaProxy(asn, proxySecret));
};

describe('the per-ASN budget, through the proxy', () => {
  it('refuses an autonomous system past its budget, and only that one', async () => {
    expect((await startFrom('64496')).status).toBe(202);
    expect((await startFrom('64496')).status).toBe(202);
    const refused = await startFrom('64496');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect((await startFrom('64497')).status).toBe(202);
  });

  it('is spent by resends too', async () => {
    // Prepare
    const started = await startFrom('64530');
    expect((await startFrom('64530')).status).toBe(202);

    // Act
    const refused = await resendFrom(started.body.challengeId, '64530');

    // Assess
    expect(refused.status).toBe(429);
    expect((await resendFrom(started.body.challengeId, '64531')).status).toBe(202);
  });

  it('ignores a header value that is not an AS number', async () => {
    for (let i = 0; i < 3; i++) expect((await startFrom('not-a-number')).status).toBe(202);
  });
});

describe('a request that bypassed the proxy', () => {
  // What the functions log (stdout and stderr) during each test, kept out of the run's output.
  let logged: string[];
  const logs = () => logged.join('');
  let restore: () => void;
  beforeEach(() => {
    logged = [];
    const capture = (chunk: unknown) => {
      logged.push(String(chunk));
      return true;
    };
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    restore = () => {
      stdout.mockRestore();
      stderr.mockRestore();
    };
  });
  afterEach(() => restore());

  it('refuses a start without the proxy secret with 403 proxy_required, whatever its ASN', async () => {
    for (const asn of ['64498', '64499']) {
      const refused = await startFrom(asn, null);
      expect({ status: refused.status, code: refused.body.code }).toEqual({
        status: 403,
        code: 'proxy_required',
      });
    }
  });

  it('refuses a resend without the proxy secret', async () => {
    // Prepare
    const started = await startFrom('64532');

    // Act & Assess
    expect((await resendFrom(started.body.challengeId, '64532', null)).status).toBe(403);
  });

  it.each([
    ['of the same length', WRONG_SECRET],
    ['shorter', PROXY_SECRET.slice(0, -1)],
    ['empty', ''],
  ])('refuses a start with a wrong proxy secret (%s)', async (_, wrong) => {
    expect((await startFrom(String(64500 + wrong.length), wrong)).status).toBe(403);
  });

  it('leaves a warning that names why, never the secret or the ASN', async () => {
    // Prepare: AS numbers no timestamp or request id in a log line could contain by chance.
    const [missingAsn, wrongAsn] = ['4199999901', '4199999902'];

    // Act
    await startFrom(missingAsn, null);
    const missing = logs();
    logged = [];
    await startFrom(wrongAsn, WRONG_SECRET);
    const wrong = logs();

    // Assess
    expect(missing).toContain('did not come through the proxy');
    expect(missing).toContain('"reason":"ProxySecretMissing"');
    expect(wrong).toContain('"reason":"ProxySecretWrong"');
    for (const text of [missing, wrong]) {
      expect(text).toContain('"asnHeaderSent":true');
      for (const value of [PROXY_SECRET, WRONG_SECRET, missingAsn, wrongAsn])
        expect(text).not.toContain(value);
    }
  });

  it('leaves no warning on a request through the proxy', async () => {
    // Act
    expect((await startFrom('4199999903')).status).toBe(202);

    // Assess
    expect(logs()).not.toContain('did not come through the proxy');
  });
});
