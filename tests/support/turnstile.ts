/**
 * Cloudflare Turnstile configured, its siteverify faked on loopback (support/siteverify.ts): it
 * accepts VALID_TOKEN, solved on SITE_HOSTNAME, for TURNSTILE_SECRET.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { type FakeSiteverify, SITE_HOSTNAME, startFakeSiteverify } from './siteverify.ts';
import { challengeWorkflow, useTemplateEnvironment } from './stack.ts';
import { runtimeForSuite } from './suite.ts';

export const TURNSTILE_SECRET_NAME = 'authkit/turnstile';
export const TURNSTILE_SECRET = 'turnstile-secret';
export const VALID_TOKEN = 'valid-turnstile-token';

/** The template Parameters that turn Turnstile on against the fake. */
export const TURNSTILE_PARAMETERS = {
  CaptchaProvider: 'turnstile',
  CaptchaSecretName: TURNSTILE_SECRET_NAME,
  CaptchaHostnames: SITE_HOSTNAME,
};

export type FakeTurnstile = FakeSiteverify;

export async function startFakeTurnstile(): Promise<FakeTurnstile> {
  const fake = await startFakeSiteverify('turnstile', TURNSTILE_SECRET);
  fake.tokens.set(VALID_TOKEN, {});
  return fake;
}

/**
 * For a test file: the challenge workflow with Turnstile configured (plus `parameters`), its
 * siteverify faked on loopback for the file's lifetime. Call at the top level of the file.
 */
export function turnstileWorkflowForSuite(
  parameters: Record<string, string>,
  wrap?: Parameters<typeof challengeWorkflow>[1],
): {
  workflow: () => ReturnType<typeof challengeWorkflow>;
  turnstile: () => FakeTurnstile;
} {
  let turnstile: FakeTurnstile;
  let workflow: ReturnType<typeof challengeWorkflow>;
  beforeAll(async () => {
    turnstile = await startFakeTurnstile();
    process.env.CAPTCHA_VERIFY_URL = turnstile.url;
    const template = await useTemplateEnvironment(
      { ...TURNSTILE_PARAMETERS, ...parameters },
      { [TURNSTILE_SECRET_NAME]: TURNSTILE_SECRET },
    );
    workflow = challengeWorkflow(template, wrap);
  });
  afterAll(async () => {
    delete process.env.CAPTCHA_VERIFY_URL;
    await turnstile.close();
  });
  return { workflow: () => workflow, turnstile: () => turnstile };
}

/**
 * For an e2e test file: `npm start`'s runtime with Turnstile configured (plus `parameters`), its
 * siteverify faked on loopback for the file's lifetime. Call at the top level of the file.
 */
export function turnstileRuntimeForSuite(
  parameters: Record<string, string> = {},
): ReturnType<typeof runtimeForSuite> & { turnstile: () => FakeTurnstile } {
  let turnstile: FakeTurnstile;
  // Registered before the runtime's own hook, so the fake answers from the runtime's first request.
  beforeAll(async () => {
    turnstile = await startFakeTurnstile();
    process.env.CAPTCHA_VERIFY_URL = turnstile.url;
  });
  afterAll(async () => {
    delete process.env.CAPTCHA_VERIFY_URL;
    await turnstile.close();
  });
  const suite = runtimeForSuite(
    { ...TURNSTILE_PARAMETERS, ...parameters },
    { [TURNSTILE_SECRET_NAME]: TURNSTILE_SECRET },
  );
  return Object.assign(suite, { turnstile: () => turnstile });
}
