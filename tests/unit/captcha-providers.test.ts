/**
 * VerifyCaptcha against loopback fakes of the three siteverify APIs (support/siteverify.ts): the
 * real HTTP verifier, the real policy, the real step handler. What each provider's answer must show,
 * how the call is made, and what an outage does per channel.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { observability } from '../../functions/_shared/powertools.ts';
import { captchaHandler } from '../../functions/steps/captcha.ts';
import { HttpCaptchaVerifier } from '../../layers/core/src/adapters/http-captcha-verifier.ts';
import { captchaPolicy } from '../../layers/core/src/captcha.ts';
import type { CaptchaOutagePolicy, Config } from '../../layers/core/src/config.ts';
import type { Channel } from '../../layers/core/src/identifier.ts';
import {
  type FakeSiteverify,
  type Outage,
  type Provider,
  SITE_HOSTNAME,
  startFakeSiteverify,
} from '../support/siteverify.ts';

const PROVIDERS: Provider[] = ['turnstile', 'hcaptcha', 'recaptcha'];
const IP = '203.0.113.7';
const CONTEXT = { functionName: 'VerifyCaptchaFunction', awsRequestId: 'req-1' } as Context;

const fakes = new Map<Provider, FakeSiteverify>();
const quiet = { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' };
const saved = Object.fromEntries(Object.keys(quiet).map((name) => [name, process.env[name]]));
beforeAll(async () => {
  // Read by Powertools when the step's observability is built: no EMF lines or warnings on stdout.
  Object.assign(process.env, quiet);
  for (const provider of PROVIDERS) {
    const fake = await startFakeSiteverify(provider);
    fake.tokens.set('good', {});
    fake.tokens.set('elsewhere', { hostname: 'phish.example.net' });
    fake.tokens.set('other-action', { action: 'newsletter' });
    fake.tokens.set('bot', { score: 0.1 });
    fakes.set(provider, fake);
  }
});
afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  for (const fake of fakes.values()) await fake.close();
});

const fakeOf = (provider: Provider) => fakes.get(provider) as FakeSiteverify;

function check(overrides: Partial<Config['captchaCheck']> = {}): Config['captchaCheck'] {
  return {
    hostnames: SITE_HOSTNAME,
    action: 'authkit_start',
    recaptchaMinScorePercent: 50,
    outageEmail: 'fail-closed',
    ...overrides,
  };
}

/** The step as root.captcha() builds it, in `always` mode, against the provider's fake. */
function step(provider: Provider, outageEmail: CaptchaOutagePolicy = 'fail-closed') {
  const fake = fakeOf(provider);
  const obs = observability();
  const metric = jest.spyOn(obs.metrics, 'addMetric');
  const verifier = new HttpCaptchaVerifier({
    url: fake.url,
    secret: async () => fake.secret,
    timeoutMs: 300,
  });
  const handler = captchaHandler({
    observability: obs,
    captcha: { verifier, policy: captchaPolicy(provider, check({ outageEmail })) },
    mode: 'always',
  });
  const run = (captchaToken: string, channel: Channel = 'email') =>
    handler(
      {
        challengeId: 'ch_1',
        sendNumber: 1,
        identifier: channel === 'email' ? 'ada@example.com' : '+14155550123',
        channel,
        sourceIp: IP,
        captchaToken,
      },
      CONTEXT,
    );
  return { run, metric };
}

/** What the workflow sees of a step's refusal: its name, and its data as JSON. */
async function refusalOf(outcome: Promise<unknown>) {
  const error = (await outcome.then(
    () => undefined,
    (thrown: Error) => thrown,
  )) as Error | undefined;
  return error && { name: error.name, ...JSON.parse(error.message) };
}

describe.each(PROVIDERS)('%s', (provider) => {
  it('passes a good token', async () => {
    // Act & Assess
    await expect(step(provider).run('good')).resolves.toEqual({});
  });

  it('posts the secret, the token and the client IP form-encoded, as siteverify expects', async () => {
    // Prepare
    const fake = fakeOf(provider);
    fake.requests.length = 0;

    // Act
    await step(provider).run('good');

    // Assess
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(fake.requests[0]?.form ?? [])).toEqual({
      secret: fake.secret,
      response: 'good',
      remoteip: IP,
    });
  });

  it.each([
    ['the provider refuses the token', 'forged'],
    ['it was solved on another site', 'elsewhere'],
  ])('refuses (CaptchaInvalid) when %s', async (_, token) => {
    // Act & Assess
    expect(await refusalOf(step(provider).run(token))).toEqual({
      name: 'CaptchaInvalid',
      refusalRule: 'captcha-invalid',
    });
  });

  it.each<[Outage, Channel]>([
    ['status-503', 'sms'],
    ['status-429', 'sms'],
    ['not-json', 'sms'],
    ['no-verdict', 'whatsapp'],
    ['internal-error', 'sms'],
    ['hang', 'sms'],
    ['status-503', 'email'],
  ])('refuses (ServiceUnavailable) while the API fails with %s, for %s', async (outage, channel) => {
    // Prepare
    fakeOf(provider).outage = outage;

    try {
      // Act & Assess
      expect(await refusalOf(step(provider).run('good', channel))).toEqual({
        name: 'ServiceUnavailable',
        refusalRule: 'captcha-unavailable',
      });
    } finally {
      fakeOf(provider).outage = 'none';
    }
  });

  it('refuses (ServiceUnavailable) when the provider refuses our secret: the visitor is not to blame', async () => {
    // Prepare
    const fake = fakeOf(provider);
    const verifier = new HttpCaptchaVerifier({ url: fake.url, secret: async () => 'rotated-away' });

    // Act & Assess
    await expect(verifier.verify('good', IP)).rejects.toMatchObject({ name: 'ProviderUnavailable' });
  });

  it('lets an email send go while the API is down when email fails open, and counts it', async () => {
    // Prepare
    fakeOf(provider).outage = 'status-503';
    const { run, metric } = step(provider, 'fail-open');

    try {
      // Act
      const sms = await refusalOf(run('good', 'sms'));
      await expect(run('good', 'email')).resolves.toEqual({});

      // Assess
      expect(sms).toMatchObject({ name: 'ServiceUnavailable' });
      expect(metric.mock.calls.filter(([name]) => name === 'CaptchaFailOpen')).toEqual([
        ['CaptchaFailOpen', 'Count', 1],
      ]);
    } finally {
      fakeOf(provider).outage = 'none';
    }
  });
});

describe('reCAPTCHA v3', () => {
  it.each([
    ['a score below the threshold', 'bot'],
    ['a token made for another action', 'other-action'],
  ])('refuses %s (CaptchaInvalid)', async (_, token) => {
    // Act & Assess
    expect(await refusalOf(step('recaptcha').run(token))).toEqual({
      name: 'CaptchaInvalid',
      refusalRule: 'captcha-invalid',
    });
  });
});

describe('Turnstile', () => {
  it('refuses a token made for another action (CaptchaInvalid)', async () => {
    // Act & Assess
    expect(await refusalOf(step('turnstile').run('other-action'))).toEqual({
      name: 'CaptchaInvalid',
      refusalRule: 'captcha-invalid',
    });
  });
});

describe('hCaptcha', () => {
  it('has no action to check: a token from another of the site’s forms passes', async () => {
    // Act & Assess
    await expect(step('hcaptcha').run('other-action')).resolves.toEqual({});
  });
});
