/**
 * The composition root of the AWS deployment: the one place that reads the environment and builds
 * clients, stores and config, once per cold start. Each function reads only its own settings and
 * wiring (template.yaml gives it exactly those; tests/unit/function-environment.test.ts checks), and
 * adapter modules are imported when first needed, so a function loads only its own AWS SDK clients
 * from the layer. Tests build handlers from here with an environment of their choosing.
 */
import {
  type AccountAuditDeps,
  type AccountDeps,
  type AuditDeps,
  type CaptchaProvider,
  type Config,
  type ConfigSection,
  captchaPolicy,
  checkSigningSecret,
  type Environment,
  type EventPublisher,
  keyRingSource,
  loadConfig,
  lockoutNotices,
  MAX_SECRET_AGE_SECONDS,
  MIN_SECRET_LENGTH,
  type NewDeviceNotice,
  type RefusalDeps,
  requireVariable,
  type SecretName,
  type SmsFeedback,
  secretIdVariable,
  systemClock,
  systemRandom,
  type TokenDeps,
} from '@authkit/core';
import type { AdminFunctionDeps } from '../admin/admin.ts';
import type { ActivityDeps } from '../api/activity.ts';
import type { AuthorizerDeps } from '../api/authorizer.ts';
import type { DevicesDeps } from '../api/devices.ts';
import type { HealthDeps } from '../api/health.ts';
import type { JwksDeps } from '../api/jwks.ts';
import type { LogoutDeps } from '../api/logout.ts';
import type { MagicLinkPageDeps } from '../api/magic-link.ts';
import type { MagicLinkVerifyDeps } from '../api/magic-link-verify.ts';
import type { MeDeps } from '../api/me.ts';
import type { ResendDeps } from '../api/resend.ts';
import type { SessionsDeps } from '../api/sessions.ts';
import type { StartDeps } from '../api/start.ts';
import type { TokenHandlerDeps } from '../api/token.ts';
import type { VerifyDeps } from '../api/verify.ts';
import type { SigningKeyRotationDeps } from '../rotation/signing-key.ts';
import type { CaptchaDeps } from '../steps/captcha.ts';
import type { DenylistDeps } from '../steps/denylist.ts';
import type { RateLimitDeps } from '../steps/rate-limit.ts';
import type { SendDeps } from '../steps/send.ts';
import { trustedAsn } from './asn.ts';
import type { FeedbackDeps } from './feedback.ts';
import { observability } from './powertools.ts';

/** The siteverify endpoint of each provider; CAPTCHA_VERIFY_URL overrides it as AWS_ENDPOINT_URL_* do. */
const SITEVERIFY_URLS: Record<Exclude<CaptchaProvider, 'none'>, string> = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
  recaptcha: 'https://www.google.com/recaptcha/api/siteverify',
};

function once<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => {
    value ??= { built: build() };
    return value.built;
  };
}

export type AwsRoot = ReturnType<typeof awsRoot>;

export function awsRoot(env: Environment) {
  const config = <S extends ConfigSection>(...sections: S[]) => loadConfig(env, sections);
  const table = (
    name: 'CHALLENGES' | 'COUNTERS' | 'DENYLIST' | 'USERS' | 'SESSIONS' | 'AUDIT' | 'ACCOUNTS',
  ) => requireVariable(env, `${name}_TABLE`);
  const obs = once(observability);
  const captured = <C>(client: C): C => obs().tracer.captureAWSv3Client(client);
  // Unset on AWS; the local runtime and tests point a function's clients elsewhere through its own
  // environment. (The SDK would read process.env itself, which one local process shares.)
  const endpoint = (
    service:
      | 'DYNAMODB'
      | 'SESV2'
      | 'SNS'
      | 'SFN'
      | 'SECRETS_MANAGER'
      | 'EVENTBRIDGE'
      | 'PINPOINT_SMS_VOICE_V2',
  ) => ({
    endpoint: env[`AWS_ENDPOINT_URL_${service}`] || undefined,
  });

  const dynamodb = once(async () => {
    const adapters = await import('@authkit/core/adapters/dynamodb');
    const { DynamoDBClient, DynamoDBDocumentClient } = adapters;
    const db = DynamoDBDocumentClient.from(captured(new DynamoDBClient(endpoint('DYNAMODB'))), {
      marshallOptions: { removeUndefinedValues: true },
    });
    return { ...adapters, db };
  });
  const secretsCache = once(async () => {
    const { SecretsManagerClient, SecretsManagerSecrets } = await import(
      '@authkit/core/adapters/secrets-manager'
    );
    return new SecretsManagerSecrets({
      client: captured(new SecretsManagerClient(endpoint('SECRETS_MANAGER'))),
    });
  });
  /** The secret's value, read per use through the cache; a function not given its id stops here. */
  const secret = async (name: SecretName) => {
    const id = requireVariable(env, secretIdVariable(name));
    return (await secretsCache()).source(id, {
      minLength: MIN_SECRET_LENGTH[name],
      maxAgeSeconds: MAX_SECRET_AGE_SECONDS[name],
    });
  };
  const messengers = async () => {
    const { SESv2Client, SesMailer, SNSClient, SnsSmsSender } = await import(
      '@authkit/core/adapters/messaging'
    );
    const { email, sms } = config('email', 'sms');
    return {
      mailer: new SesMailer(captured(new SESv2Client(endpoint('SESV2'))), email),
      sms:
        sms.provider === 'end-user-messaging'
          ? await endUserMessaging(sms)
          : new SnsSmsSender(captured(new SNSClient(endpoint('SNS'))), sms),
    };
  };
  const endUserMessaging = async (sms: Config['sms']) => {
    const { EndUserMessagingSmsSender, PinpointSMSVoiceV2Client } = await import(
      '@authkit/core/adapters/end-user-messaging'
    );
    const client = captured(new PinpointSMSVoiceV2Client(endpoint('PINPOINT_SMS_VOICE_V2')));
    return new EndUserMessagingSmsSender(client, { ...sms, stack: requireVariable(env, 'STACK_NAME') });
  };
  const publisher = once(async () => {
    const { EventBridgeClient, EventBridgePublisher } = await import('@authkit/core/adapters/events');
    // Bounded: an event is published after a send was decided, and a hung PutEvents must not hold
    // the step (and the release of a failed send's claim) until the Lambda times out. Without
    // throwOnRequestTimeout the SDK's handler only warns when the request timeout passes.
    const client = new EventBridgeClient({
      ...endpoint('EVENTBRIDGE'),
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
    });
    return new EventBridgePublisher(captured(client));
  });
  // AuthKit's own events. The client loads at the first event, not at cold start: a function may
  // publish none in its lifetime.
  const appEvents: EventPublisher = { publish: async (events) => (await publisher()).publish(events) };
  /**
   * SMS refusals told as SmsDeliveryFailed; a failure to tell is logged without the number and
   * counted.
   */
  const smsFeedback = (): SmsFeedback => {
    const { logger, metrics } = obs();
    return {
      events: appEvents,
      stack: requireVariable(env, 'STACK_NAME'),
      failed: (error) => {
        logger.warn('SmsDeliveryFailed could not be published', { error: (error as Error).name });
        metrics.addMetric('FeedbackEventFailed', 'Count', 1);
      },
    };
  };
  const workflow = async () => {
    const { ExpressChallengeWorkflow, SFNClient } = await import('@authkit/core/adapters/step-functions');
    // StartSyncExecution goes to the `sync-states.<region>` host. An endpoint override (the local
    // runtime's Step Functions endpoint) is a plain host, so the prefix must not be prepended to it.
    const sfn = captured(
      new SFNClient({ ...endpoint('SFN'), disableHostPrefix: Boolean(env.AWS_ENDPOINT_URL_SFN) }),
    );
    return new ExpressChallengeWorkflow(sfn, requireVariable(env, 'STATE_MACHINE_ARN'), (status) =>
      obs().metrics.addMetric(`Workflow${status}`, 'Count', 1),
    );
  };
  const smsBreakerStore = async () => {
    const { DynamoSmsBreakerStore, db } = await dynamodb();
    return new DynamoSmsBreakerStore(db, table('COUNTERS'));
  };
  const proxied = async () => {
    const { asnHeader } = config('proxy').proxy;
    return trustedAsn({ ...obs(), asnHeader, proxySecret: asnHeader ? await secret('proxy') : undefined });
  };
  const audit = async (): Promise<AuditDeps> => {
    const { DynamoAuditLog, db } = await dynamodb();
    const { retentionDays } = config('audit').audit;
    return {
      audit: new DynamoAuditLog(db, table('AUDIT'), retentionDays),
      auditKey: await secret('auditKey'),
      clock: systemClock,
    };
  };
  /** An audit record that could not be written: counted, and logged by its error's name alone. */
  const auditWriteFailed = (what: string) => (error: unknown) => {
    const { logger, metrics } = obs();
    logger.warn(`${what} audit record failed; the answer stands`, { error: (error as Error).name });
    metrics.addMetric('AuditWriteFailed', 'Count', 1);
  };
  /** Account events audited; a failed write is counted and logged, and the answer stands. */
  const accountAudit = async (): Promise<AccountAuditDeps> => ({
    ...(await audit()),
    warn: auditWriteFailed('account'),
  });
  const account = async (): Promise<AccountDeps> => {
    const { DynamoDeviceStore, DynamoSessionStore, db } = await dynamodb();
    return {
      sessions: new DynamoSessionStore(db, table('SESSIONS'), table('ACCOUNTS')),
      devices: new DynamoDeviceStore(db, table('ACCOUNTS')),
      clock: systemClock,
      config: config('tokens').tokens,
    };
  };
  const deviceStore = async () => {
    const { DynamoDeviceStore, db } = await dynamodb();
    return new DynamoDeviceStore(db, table('ACCOUNTS'));
  };
  /** NewDeviceSignIn told; a failure to tell is logged and counted, and the sign-in stands. */
  const newDevices = (): NewDeviceNotice => {
    const { logger, metrics } = obs();
    return {
      events: appEvents,
      stack: requireVariable(env, 'STACK_NAME'),
      failed: (error) => {
        logger.warn('NewDeviceSignIn could not be published; the sign-in stands', {
          error: (error as Error).name,
        });
        metrics.addMetric('NewDeviceEventFailed', 'Count', 1);
      },
    };
  };
  /** Each refusal counted by rule (its own metric, so the function's other metrics keep their dimensions). */
  const refusals = async (): Promise<RefusalDeps> => {
    const { metrics } = obs();
    return {
      ...(await audit()),
      count: (rule) => {
        const refused = metrics.singleMetric();
        refused.addDimension('rule', rule);
        refused.addMetric('Refused', 'Count', 1);
      },
      warn: auditWriteFailed('refusal'),
    };
  };
  /**
   * The keys of the generation the signing-key secret names, read with its own short max age, so a
   * rotation or a revoked key reaches signers and JWKS within a minute.
   */
  const keyRing = async () => {
    const id = requireVariable(env, secretIdVariable('signingKeySeed'));
    const value = await secret('signingKeySeed');
    return keyRingSource(async () => checkSigningSecret(await value(), id));
  };
  const tokens = async (): Promise<TokenDeps> => {
    const { DynamoSessionStore, db } = await dynamodb();
    const ring = await keyRing();
    return {
      sessions: new DynamoSessionStore(db, table('SESSIONS'), table('ACCOUNTS')),
      clock: systemClock,
      random: systemRandom,
      signingKey: async () => (await ring()).current,
      config: config('tokens').tokens,
    };
  };

  return {
    async start(): Promise<StartDeps> {
      return {
        observability: obs(),
        workflow: await workflow(),
        random: systemRandom,
        trustedAsn: await proxied(),
        refusals: await refusals(),
        config: config('magicLinks'),
      };
    },
    async resend(): Promise<ResendDeps> {
      const { DynamoChallengeStore, db } = await dynamodb();
      return {
        observability: obs(),
        workflow: await workflow(),
        store: new DynamoChallengeStore(db, table('CHALLENGES')),
        clock: systemClock,
        config: config('code'),
        trustedAsn: await proxied(),
        refusals: await refusals(),
      };
    },
    async verify(): Promise<VerifyDeps> {
      const { DynamoChallengeStore, DynamoDenylistStore, DynamoLockStore, DynamoUserStore, db } =
        await dynamodb();
      const { logger, metrics } = obs();
      const notices = lockoutNotices({ ...(await messengers()), config: config('product') });
      return {
        observability: obs(),
        signIn: {
          store: new DynamoChallengeStore(db, table('CHALLENGES'), table('COUNTERS')),
          clock: systemClock,
          random: systemRandom,
          pepper: await secret('codePepper'),
          config: config('code', 'lockout', 'captcha'),
          locks: new DynamoLockStore(db, table('COUNTERS')),
          denylist: new DynamoDenylistStore(db, table('DENYLIST'), systemClock),
          users: new DynamoUserStore(db, table('USERS')),
          smsBreaker: {
            store: await smsBreakerStore(),
            clock: systemClock,
            config: config('smsBreaker').smsBreaker,
          },
          tokens: await tokens(),
          audit: await accountAudit(),
          devices: await deviceStore(),
          newDevices: newDevices(),
          notify: async (notice) => {
            await notices(notice);
            metrics.addMetric('LockoutNoticeSent', 'Count', 1);
          },
          warn: (what, error) => {
            logger.warn(`${what} failed after the answer was decided`, { error: (error as Error).name });
            const metric = what === 'lockout notice' ? 'LockoutNoticeFailed' : 'VerifyBookkeepingFailed';
            metrics.addMetric(metric, 'Count', 1);
          },
        },
      };
    },
    async magicLinkPage(): Promise<MagicLinkPageDeps> {
      const { DynamoChallengeStore, db } = await dynamodb();
      return {
        observability: obs(),
        store: new DynamoChallengeStore(db, table('CHALLENGES')),
        clock: systemClock,
        config: config('code', 'magicLinks', 'product'),
      };
    },
    async magicLinkVerify(): Promise<MagicLinkVerifyDeps> {
      const { DynamoChallengeStore, DynamoDenylistStore, DynamoLockStore, DynamoUserStore, db } =
        await dynamodb();
      const { logger, metrics } = obs();
      return {
        observability: obs(),
        signIn: {
          store: new DynamoChallengeStore(db, table('CHALLENGES')),
          clock: systemClock,
          random: systemRandom,
          config: config('code', 'lockout', 'captcha'),
          locks: new DynamoLockStore(db, table('COUNTERS')),
          denylist: new DynamoDenylistStore(db, table('DENYLIST'), systemClock),
          users: new DynamoUserStore(db, table('USERS')),
          tokens: await tokens(),
          devices: await deviceStore(),
          newDevices: newDevices(),
          audit: await accountAudit(),
          warn: (what, error) => {
            logger.warn(`${what} failed after the answer was decided`, { error: (error as Error).name });
            metrics.addMetric('VerifyBookkeepingFailed', 'Count', 1);
          },
        },
      };
    },
    async token(): Promise<TokenHandlerDeps> {
      return {
        observability: obs(),
        refresh: { tokens: await tokens(), devices: await deviceStore(), audit: await accountAudit() },
      };
    },
    async devices(): Promise<DevicesDeps> {
      const { DynamoSessionStore, db } = await dynamodb();
      return {
        observability: obs(),
        devices: {
          devices: await deviceStore(),
          sessions: new DynamoSessionStore(db, table('SESSIONS'), table('ACCOUNTS')),
          clock: systemClock,
          random: systemRandom,
          audit: await accountAudit(),
        },
      };
    },
    async logout(): Promise<LogoutDeps> {
      const { DynamoSessionStore, db } = await dynamodb();
      return {
        observability: obs(),
        sessions: new DynamoSessionStore(db, table('SESSIONS'), table('ACCOUNTS')),
        clock: systemClock,
        audit: await accountAudit(),
      };
    },
    async activity(): Promise<ActivityDeps> {
      const { DynamoAuditTrail, db } = await dynamodb();
      return {
        observability: obs(),
        trail: new DynamoAuditTrail(db, table('AUDIT')),
        auditKey: await secret('auditKey'),
      };
    },
    async authorizer(): Promise<AuthorizerDeps> {
      const { DynamoSessionLookup, db } = await dynamodb();
      return {
        observability: obs(),
        access: {
          // The ring through the secrets cache (a rotated seed applies within its max age); the
          // session read per request, so a revocation applies at once.
          keyRing: await keyRing(),
          sessions: new DynamoSessionLookup(db, table('ACCOUNTS')),
          clock: systemClock,
          config: config('tokens').tokens,
        },
      };
    },
    async me(): Promise<MeDeps> {
      return { observability: obs(), account: await account() };
    },
    async sessions(): Promise<SessionsDeps> {
      return { observability: obs(), account: { ...(await account()), audit: await accountAudit() } };
    },
    async jwks(): Promise<JwksDeps> {
      return { observability: obs(), keyRing: await keyRing() };
    },
    async signingKeyRotation(): Promise<SigningKeyRotationDeps> {
      const { SecretsManagerClient, SecretsManagerVersions } = await import(
        '@authkit/core/adapters/secrets-manager'
      );
      return {
        observability: obs(),
        secrets: new SecretsManagerVersions(captured(new SecretsManagerClient(endpoint('SECRETS_MANAGER')))),
        clock: systemClock,
        secretId: requireVariable(env, secretIdVariable('signingKeySeed')),
        accessTtlSeconds: config('tokens').tokens.accessTtlSeconds,
      };
    },
    async health(): Promise<HealthDeps> {
      const { probeTable, db } = await dynamodb();
      const challenges = table('CHALLENGES');
      return { observability: obs(), probe: () => probeTable(db, challenges) };
    },
    async rateLimit(): Promise<RateLimitDeps> {
      const { DynamoCounterStore, DynamoLockStore, db } = await dynamodb();
      return {
        observability: obs(),
        counters: new DynamoCounterStore(db, table('COUNTERS')),
        locks: new DynamoLockStore(db, table('COUNTERS')),
        smsBreaker: { store: await smsBreakerStore() },
        clock: systemClock,
        config: config('rateLimit', 'lockout', 'captcha'),
      };
    },
    async denylist(): Promise<DenylistDeps> {
      const { DynamoDenylistStore, db } = await dynamodb();
      return {
        observability: obs(),
        denylist: new DynamoDenylistStore(db, table('DENYLIST'), systemClock),
        smsCountries: config('smsCountries').smsCountries.allowed,
      };
    },
    async captcha(): Promise<CaptchaDeps> {
      const { provider, mode } = config('captcha').captcha;
      if (provider === 'none') return { observability: obs(), captcha: undefined, mode };
      const { HttpCaptchaVerifier } = await import('@authkit/core/adapters/captcha');
      const url = env.CAPTCHA_VERIFY_URL?.trim() || SITEVERIFY_URLS[provider];
      const verifier = new HttpCaptchaVerifier({ url, secret: await secret('captcha') });
      const policy = captchaPolicy(provider, config('captchaCheck').captchaCheck);
      return { observability: obs(), captcha: { verifier, policy }, mode };
    },
    async admin(): Promise<AdminFunctionDeps> {
      const { DynamoDenylistStore, DynamoLockStore, DynamoSessionStore, DynamoUserStore, db } =
        await dynamodb();
      return {
        observability: obs(),
        ...(await audit()),
        users: new DynamoUserStore(db, table('USERS')),
        denylist: new DynamoDenylistStore(db, table('DENYLIST'), systemClock),
        sessions: new DynamoSessionStore(db, table('SESSIONS'), table('ACCOUNTS')),
        locks: new DynamoLockStore(db, table('COUNTERS')),
        smsBreaker: await smsBreakerStore(),
        smsCountries: config('smsCountries').smsCountries.allowed,
        config: config('lockout', 'captcha'),
      };
    },
    async send(): Promise<SendDeps> {
      const { DynamoChallengeStore, db } = await dynamodb();
      const { logger, metrics } = obs();
      return {
        observability: obs(),
        challenges: {
          ...(await messengers()),
          store: new DynamoChallengeStore(db, table('CHALLENGES'), table('COUNTERS')),
          clock: systemClock,
          random: systemRandom,
          pepper: await secret('codePepper'),
          config: config('code', 'rateLimit', 'product', 'magicLinkOrigin'),
          feedback: smsFeedback(),
          smsBreaker: {
            store: await smsBreakerStore(),
            clock: systemClock,
            config: config('smsBreaker').smsBreaker,
            events: appEvents,
            tripped: (scope) => {
              // A single metric, so the scope dimension does not spill onto the invocation's others.
              const tripped = metrics.singleMetric();
              tripped.addDimension('scope', scope);
              tripped.addMetric('SmsBreakerTripped', 'Count', 1);
            },
            warn: (what, error) => {
              logger.warn(`${what} failed after the send`, { error: (error as Error).name });
              metrics.addMetric('SmsBreakerBookkeepingFailed', 'Count', 1);
            },
          },
        },
      };
    },
    async feedback(): Promise<FeedbackDeps> {
      const { DynamoDenylistStore, db } = await dynamodb();
      return {
        observability: obs(),
        denylist: new DynamoDenylistStore(db, table('DENYLIST'), systemClock),
        settings: config('feedback').feedback,
        clock: systemClock,
      };
    },
  };
}
