/** Bad input of any shape gets a 4xx problem+json naming what was wrong, never a 5xx. */
import { describe, expect, it } from '@jest/globals';
import type { Reply } from '../support/http.ts';
import { runtimeForSuite } from '../support/suite.ts';

const suite = runtimeForSuite();

const json = { 'content-type': 'application/json' };

function expectProblem(reply: Reply, status: number, code: string, field?: string): void {
  expect({ status: reply.status, code: reply.body.code }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toBe('application/problem+json');
  expect(reply.headers.get('x-request-id')).toBeTruthy();
  expect(reply.body).toMatchObject({
    type: `urn:authkit:problem:${code}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  if (field) expect(reply.body.field).toBe(field);
}

describe('POST /v1/auth/start rejects', () => {
  it.each<[string, unknown, number, string, string]>([
    ['an empty object', {}, 400, 'invalid_request', 'identifier'],
    ['a numeric identifier', { identifier: 42 }, 400, 'invalid_request', 'identifier'],
    [
      'an identifier that is neither email nor phone',
      { identifier: 'ada' },
      400,
      'invalid_request',
      'identifier',
    ],
    ['an email without a domain dot', { identifier: 'ada@localhost' }, 400, 'invalid_request', 'identifier'],
    [
      'header injection in the email',
      { identifier: 'ada@example.com\r\nBcc: x@y.com' },
      400,
      'invalid_request',
      'identifier',
    ],
    [
      'an email whose RFC 2047 encoded word could route the code elsewhere',
      { identifier: '=?utf-8?q?victim=40example.com?=@attacker.example' },
      400,
      'invalid_request',
      'identifier',
    ],
    ['an invalid phone number', { identifier: '+1 555' }, 400, 'invalid_request', 'identifier'],
    [
      'a very long identifier',
      { identifier: `${'a'.repeat(5000)}@example.com` },
      400,
      'invalid_request',
      'identifier',
    ],
    ['an unknown field', { identifier: 'ada@example.com', admin: true }, 400, 'invalid_request', 'admin'],
    [
      'an unknown channel',
      { identifier: 'ada@example.com', channel: 'fax' },
      400,
      'invalid_request',
      'channel',
    ],
    [
      'SMS to an email address',
      { identifier: 'ada@example.com', channel: 'sms' },
      400,
      'invalid_request',
      'channel',
    ],
    [
      'a magic link without the page it continues to',
      { identifier: 'ada@example.com', method: 'magic_link' },
      400,
      'invalid_request',
      'redirectUri',
    ],
    [
      'a malformed locale',
      { identifier: 'ada@example.com', locale: 'en_GB<script>' },
      400,
      'invalid_request',
      'locale',
    ],
    [
      'a device that is not an object',
      { identifier: 'ada@example.com', device: 'phone' },
      400,
      'invalid_request',
      'device',
    ],
    ['a JSON array', [1, 2], 400, 'invalid_request', 'body'],
    ['JSON null', 'null', 400, 'invalid_request', 'body'],
    ['malformed JSON', '{"identifier":', 400, 'invalid_request', 'body'],
    [
      'a body over 16 KiB',
      { identifier: 'ada@example.com', captchaToken: 'x'.repeat(17 * 1024) },
      413,
      'payload_too_large',
      '',
    ],
  ])('%s', async (_, body, status, code, field) => {
    expectProblem(await suite.http.post('/v1/auth/start', body), status, code, field);
  });

  it('a body that is not JSON (415)', async () => {
    expectProblem(
      await suite.http.call('POST', '/v1/auth/start', 'identifier=ada@example.com', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      415,
      'unsupported_media_type',
    );
  });

  it('a request with no body (400)', async () => {
    expectProblem(
      await suite.http.call('POST', '/v1/auth/start', undefined, json),
      400,
      'invalid_request',
      'body',
    );
  });
});

describe('other routes reject', () => {
  it.each<[string, string, unknown, number, string, string]>([
    ['verify without a code', '/v1/auth/verify', { challengeId: 'ch_x' }, 400, 'invalid_request', 'code'],
    [
      'verify with a numeric code',
      '/v1/auth/verify',
      { challengeId: 'ch_x', code: 123456 },
      400,
      'invalid_request',
      'code',
    ],
    [
      'verify with letters for a code',
      '/v1/auth/verify',
      { challengeId: 'ch_x', code: 'abcdef' },
      401,
      'invalid_code',
      '',
    ],
    [
      'verify with an object for challengeId',
      '/v1/auth/verify',
      { challengeId: {}, code: '123456' },
      400,
      'invalid_request',
      'challengeId',
    ],
    [
      'resend of an unknown challenge',
      '/v1/auth/resend',
      { challengeId: 'ch_unknown' },
      409,
      'challenge_closed',
      '',
    ],
    [
      'token with another grant type',
      '/v1/auth/token',
      { grantType: 'password', refreshToken: 'x' },
      400,
      'invalid_request',
      'grantType',
    ],
    [
      'token without a refresh token',
      '/v1/auth/token',
      { grantType: 'refresh_token' },
      400,
      'invalid_request',
      'refreshToken',
    ],
    [
      'token with an unknown refresh token',
      '/v1/auth/token',
      { grantType: 'refresh_token', refreshToken: 'x'.repeat(43) },
      401,
      'invalid_grant',
      '',
    ],
    ['logout without a refresh token', '/v1/auth/logout', {}, 400, 'invalid_request', 'refreshToken'],
  ])('%s', async (_, path, body, status, code, field) => {
    expectProblem(await suite.http.post(path, body), status, code, field);
  });

  it('an unknown route (404) and a wrong method (405)', async () => {
    expectProblem(await suite.http.get('/v1/auth/nope'), 404, 'not_found');
    expectProblem(await suite.http.get('/v1/auth/start'), 405, 'method_not_allowed');
  });
});

describe('never a 5xx', () => {
  it('for 200 random malformed bodies across every POST route', async () => {
    const routes = [
      '/v1/auth/start',
      '/v1/auth/verify',
      '/v1/auth/resend',
      '/v1/auth/token',
      '/v1/auth/logout',
    ];
    const values = [
      null,
      true,
      0,
      -1,
      Number.MAX_VALUE,
      '',
      ' ',
      '\u0000',
      '💥',
      [],
      {},
      'a'.repeat(600),
      { $ne: 1 },
      ['x'],
    ];
    const fields = [
      'identifier',
      'challengeId',
      'code',
      'refreshToken',
      'grantType',
      'channel',
      'locale',
      '__proto__',
      'constructor',
    ];
    let seed = 7;
    const pick = <T>(list: T[]): T => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return list[seed % list.length] as T;
    };
    const replies = await Promise.all(
      Array.from({ length: 200 }, () => {
        const body = `{${[pick(fields), pick(fields)].map((f) => `${JSON.stringify(f)}:${JSON.stringify(pick(values))}`).join(',')}}`;
        return suite.http.post(pick(routes), body);
      }),
    );
    const statuses = new Set(replies.map((reply) => reply.status));
    expect([...statuses].filter((status) => status >= 500)).toEqual([]);
    for (const reply of replies) expect(reply.headers.get('x-request-id')).toBeTruthy();
  });
});
