/**
 * reCAPTCHA v3 through the local runtime, its siteverify faked on loopback: what the client sees
 * for a good token, a low score, a token for another action, and an outage on each channel.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeSiteverify, SITE_HOSTNAME, startFakeSiteverify } from '../support/siteverify.ts';
import { emailsTo, uniqueEmail } from '../support/stack.ts';
import { runtimeForSuite } from '../support/suite.ts';

const SECRET_NAME = 'authkit/recaptcha';
let recaptcha: FakeSiteverify;
// Registered before the runtime's own hook, so the fake answers from the runtime's first request.
beforeAll(async () => {
  recaptcha = await startFakeSiteverify('recaptcha');
  recaptcha.tokens.set('person', { score: 0.9 });
  recaptcha.tokens.set('bot', { score: 0.2 });
  recaptcha.tokens.set('newsletter', { action: 'newsletter' });
  process.env.CAPTCHA_VERIFY_URL = recaptcha.url;
});
afterAll(async () => {
  delete process.env.CAPTCHA_VERIFY_URL;
  await recaptcha.close();
});
const suite = runtimeForSuite(
  {
    CaptchaProvider: 'recaptcha',
    CaptchaSecretName: SECRET_NAME,
    CaptchaHostnames: SITE_HOSTNAME,
    CaptchaMode: 'always',
  },
  { [SECRET_NAME]: 'recaptcha-secret' },
);

describe('starts with reCAPTCHA v3', () => {
  it('sends the code for a person (score 0.9, action authkit_start)', async () => {
    const email = uniqueEmail('person');
    expect((await suite.http.start(email, { captchaToken: 'person' })).status).toBe(202);
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it.each(['bot', 'newsletter'])(
    'answers 400 captcha_invalid for the %s token and sends nothing',
    async (token) => {
      const email = uniqueEmail(token);
      const reply = await suite.http.start(email, { captchaToken: token });
      expect(reply).toMatchObject({ status: 400, body: { code: 'captcha_invalid' } });
      expect(await emailsTo(email)).toHaveLength(0);
    },
  );

  it('answers 503 service_unavailable while siteverify is down, for email and SMS alike (fail-closed)', async () => {
    recaptcha.outage = 'status-503';
    try {
      const replies = [
        await suite.http.start(uniqueEmail('down'), { captchaToken: 'person' }),
        await suite.http.start('+14155550142', { captchaToken: 'person' }),
      ];
      for (const reply of replies) {
        expect(reply).toMatchObject({ status: 503, body: { code: 'service_unavailable' } });
        expect(reply.headers.get('retry-after')).toBe('2');
      }
    } finally {
      recaptcha.outage = 'none';
    }
  });
});
