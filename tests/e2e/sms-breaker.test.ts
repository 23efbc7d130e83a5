/**
 * The SMS breaker through `npm start`'s runtime, Turnstile faked on loopback: while a trip stands
 * over a country, an SMS start there answers the usual 428 `captcha_required`, with nothing that
 * names the breaker; other countries, and the same country with a solved captcha, get their code.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { tripBreaker } from '../support/core-fixtures.ts';
import { turnstileRuntimeForSuite, VALID_TOKEN } from '../support/turnstile.ts';

const suite = turnstileRuntimeForSuite({ SmsAllowedCountries: 'DK,FI' });
beforeAll(async () => {
  // Denmark tripped a minute ago, for an hour.
  await tripBreaker(
    { scope: 'country', value: 'DK' },
    { trippedAt: Date.now() - 60_000, sends: 180, verified: 4 },
  );
});

describe('POST /v1/auth/start to a country the SMS breaker tripped', () => {
  it('answers the usual 428 captcha_required, naming no rule', async () => {
    // Act
    const started = await suite.http.start('+4520123456');

    // Assess
    expect(started).toMatchObject({ status: 428, body: { code: 'captcha_required' } });
    expect(JSON.stringify(started.body)).not.toMatch(/breaker|rule|DK/i);
  });

  it('sends the code with the captcha solved, and to another country without one', async () => {
    // Act
    const solved = await suite.http.start('+4520123457', { captchaToken: VALID_TOKEN });
    const elsewhere = await suite.http.start('+358401234567');

    // Assess
    expect(solved.status).toBe(202);
    expect(elsewhere.status).toBe(202);
    await expect(suite.http.latestCode('+4520123457')).resolves.toMatch(/^\d{6}$/);
  });
});
