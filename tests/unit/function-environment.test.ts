/**
 * Each function is given exactly the variables it reads: template.yaml's Environment for it (and
 * Globals) against the reads its composition in functions/_shared/root.ts makes while building its
 * handler. A variable given but unread is configuration that does nothing; one read but not given
 * stops the function at cold start.
 */
import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';

/** Read by libraries, not by AuthKit: Node, Powertools. */
const FOR_LIBRARIES = /^(NODE_OPTIONS|POWERTOOLS_.*)$/;
/** Endpoint overrides the local runtime and tests set; never in template.yaml. */
const ENDPOINT_OVERRIDES = /^(AWS_.*|CAPTCHA_VERIFY_URL)$/;

/** Every optional feature on, so every variable a function can read is read. */
const EVERYTHING_ON = {
  TokenIssuer: 'https://auth.example.com',
  CaptchaProvider: 'turnstile',
  CaptchaSecretName: 'authkit/turnstile',
  CaptchaHostnames: 'app.example.com',
  TrustedAsnHeader: 'CloudFront-Viewer-ASN',
  ProxySecretName: 'authkit/proxy',
  SmsProvider: 'end-user-messaging',
  MagicLinkRedirectUris: 'https://app.example.com/signed-in',
  MagicLinkBaseUrl: 'https://auth.example.com',
};

type Buildable = { fromEnvironment: (env: Record<string, string | undefined>) => Promise<unknown> };

/** The variables building the function's handler from `environment` reads. */
async function readsOf(entryPoint: string, exportName: string, environment: Record<string, string>) {
  const reads = new Set<string>();
  const env = new Proxy(environment, {
    get(target, name) {
      if (typeof name === 'string') reads.add(name);
      return Reflect.get(target, name);
    },
  });
  const module = (await import(entryPoint)) as Record<string, Buildable>;
  await module[exportName]?.fromEnvironment(env);
  return [...reads].filter((name) => !ENDPOINT_OVERRIDES.test(name)).sort();
}

describe('each function of template.yaml', () => {
  const functions = new LocalTemplate(REPO_ROOT, { parameters: EVERYTHING_ON }).functions();

  it.each(functions.map((fn) => [fn.id, fn] as const))('%s is given exactly what it reads', async (_, fn) => {
    // Prepare
    const given = Object.keys(fn.environment).filter((name) => !FOR_LIBRARIES.test(name));

    // Act
    const read = await readsOf(fn.entryPoint, fn.exportName, fn.environment);

    // Assess
    expect(read).toEqual(given.sort());
  });

  it.each(
    new LocalTemplate(REPO_ROOT, { parameters: { TokenIssuer: 'https://auth.example.com' } })
      .functions()
      .map((fn) => [fn.id, fn] as const),
  )('%s builds with the defaults, reading nothing it is not given', async (_, fn) => {
    // Act
    const read = await readsOf(fn.entryPoint, fn.exportName, fn.environment);

    // Assess
    expect(read.filter((name) => !(name in fn.environment))).toEqual([]);
  });
});
