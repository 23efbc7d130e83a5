/**
 * The composition root of the AWS deployment: the one place that reads the environment and builds
 * clients, stores and config, once per cold start, each function taking only what it uses. Adapter
 * modules are imported when first needed, so a function loads only its own AWS SDK clients from
 * the layer. Tests build handlers from here with an environment of their choosing.
 */
import {
  type CaptchaProvider,
  keyRingSource,
  loadConfig,
  lockoutNotices,
  MIN_SECRET_LENGTH,
  requireSecretId,
  type SecretName,
  systemClock,
  systemRandom,
  type TokenDeps,
} from '@authkit/core';
import type { ResendDeps } from '../api/resend.ts';
import type { StartDeps } from '../api/start.ts';
import type { VerifyDeps } from '../api/verify.ts';
import { trustedAsn } from './asn.ts';
import { type Observability, observability } from './powertools.ts';

type Env = Record<string, string | undefined>;

/** The siteverify endpoint of each provider; CAPTCHA_VERIFY_URL overrides it as AWS_ENDPOINT_URL_* do. */
const SITEVERIFY_URLS: Record<Exclude<CaptchaProvider, 'none'>, string> = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
};

function once<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => {
    value ??= { built: build() };
    return value.built;
  };
}

export type AwsRoot = ReturnType<typeof awsRoot>;

export function awsRoot(env: Env) {
  const config = once(() => loadConfig(env));
  const obs = once(observability);
  const captured = <C>(client: C): C => obs().tracer.captureAWSv3Client(client);

  const db = once(async () => {
    const { DynamoDBClient, DynamoDBDocumentClient } = await import('@authkit/core/adapters/dynamodb');
    return DynamoDBDocumentClient.from(captured(new DynamoDBClient({})), {
      marshallOptions: { removeUndefinedValues: true },
    });
  });
  const stores = once(async () => ({ ...(await import('@authkit/core/adapters/dynamodb')), db: await db() }));
  const secretsCache = once(async () => {
    const { SecretsManagerClient, SecretsManagerSecrets } = await import(
      '@authkit/core/adapters/secrets-manager'
    );
    return new SecretsManagerSecrets({ client: captured(new SecretsManagerClient({})) });
  });
  /** The secret's value, read per use through the cache; a function not given its id stops here. */
  const secret = async (name: SecretName) => {
    const id = requireSecretId(config(), name);
    return (await secretsCache()).source(id, { minLength: MIN_SECRET_LENGTH[name] });
  };
  const messengers = once(async () => {
    const { SESv2Client, SesMailer, SNSClient, SnsSmsSender } = await import(
      '@authkit/core/adapters/messaging'
    );
    return {
      mailer: new SesMailer(captured(new SESv2Client({})), config().email),
      sms: new SnsSmsSender(captured(new SNSClient({})), config().sms),
    };
  });
  const workflow = async () => {
    const { ExpressChallengeWorkflow, SFNClient } = await import('@authkit/core/adapters/step-functions');
    // StartSyncExecution goes to the `sync-states.<region>` host. An endpoint override (the local
    // runtime's Step Functions endpoint) is a plain host, so the prefix must not be prepended to it.
    const sfn = captured(new SFNClient({ disableHostPrefix: Boolean(env.AWS_ENDPOINT_URL_SFN) }));
    return new ExpressChallengeWorkflow(sfn, config().stateMachineArn, (status) =>
      obs().metrics.addMetric(`Workflow${status}`, 'Count', 1),
    );
  };
  const proxied = async () => {
    const { asnHeader } = config().rateLimit;
    return trustedAsn({ ...obs(), asnHeader, proxySecret: asnHeader ? await secret('proxy') : undefined });
  };
  const tokens = async (): Promise<TokenDeps> => {
    const { DynamoSessionStore, db } = await stores();
    const keyRing = keyRingSource(await secret('signingKeySeed'), config().tokens.signingKeyGeneration);
    return {
      sessions: new DynamoSessionStore(db, config().tables.sessions),
      clock: systemClock,
      random: systemRandom,
      signingKey: async () => (await keyRing()).current,
      config: config().tokens,
    };
  };

  return {
    async start(): Promise<StartDeps> {
      return {
        observability: obs(),
        workflow: await workflow(),
        random: systemRandom,
        trustedAsn: await proxied(),
      };
    },
    async resend(): Promise<ResendDeps> {
      const { DynamoChallengeStore, db } = await stores();
      const { challenges, counters } = config().tables;
      return {
        observability: obs(),
        workflow: await workflow(),
        store: new DynamoChallengeStore(db, challenges, counters),
        trustedAsn: await proxied(),
      };
    },
    async verify(): Promise<VerifyDeps> {
      const { DynamoChallengeStore, DynamoDenylistStore, DynamoLockStore, DynamoUserStore, db } =
        await stores();
      const { tables } = config();
      const { logger, metrics } = obs();
      const notices = lockoutNotices({ ...(await messengers()), config: config() });
      return {
        observability: obs(),
        signIn: {
          store: new DynamoChallengeStore(db, tables.challenges, tables.counters),
          clock: systemClock,
          random: systemRandom,
          pepper: await secret('codePepper'),
          config: config(),
          locks: new DynamoLockStore(db, tables.counters),
          denylist: new DynamoDenylistStore(db, tables.denylist, systemClock),
          users: new DynamoUserStore(db, tables.users),
          tokens: await tokens(),
          notify: async (notice) => {
            await notices(notice);
            metrics.addMetric('LockoutNoticeSent', 'Count', 1);
          },
          warn: (what, error) => {
            logger.warn(`${what} failed after the answer was decided`, { error: (error as Error).name });
            metrics.addMetric(
              what === 'lockout notice' ? 'LockoutNoticeFailed' : 'VerifyBookkeepingFailed',
              'Count',
              1,
            );
          },
        },
      };
    },
    async token() {
      return { observability: obs(), tokens: await tokens() };
    },
    async logout() {
      const { DynamoSessionStore, db } = await stores();
      return {
        observability: obs(),
        sessions: new DynamoSessionStore(db, config().tables.sessions),
        clock: systemClock,
      };
    },
    async jwks() {
      return {
        observability: obs(),
        keyRing: keyRingSource(await secret('signingKeySeed'), config().tokens.signingKeyGeneration),
      };
    },
    async health() {
      const { probeTable, db } = await stores();
      return { observability: obs(), probe: () => probeTable(db, config().tables.challenges) };
    },
    async rateLimit() {
      const { DynamoCounterStore, DynamoLockStore, db } = await stores();
      const { counters } = config().tables;
      return {
        observability: obs(),
        counters: new DynamoCounterStore(db, counters),
        locks: new DynamoLockStore(db, counters),
        clock: systemClock,
        config: config(),
      };
    },
    async denylist() {
      const { DynamoDenylistStore, db } = await stores();
      return {
        observability: obs(),
        denylist: new DynamoDenylistStore(db, config().tables.denylist, systemClock),
        smsCountries: config().sms.allowedCountries,
      };
    },
    async captcha() {
      const { provider, mode } = config().captcha;
      if (provider === 'none') return { observability: obs(), verifier: undefined, mode };
      const { HttpCaptchaVerifier } = await import('@authkit/core/adapters/captcha');
      const url = env.CAPTCHA_VERIFY_URL?.trim() || SITEVERIFY_URLS[provider];
      return {
        observability: obs(),
        verifier: new HttpCaptchaVerifier({ url, secret: await secret('captcha') }),
        mode,
      };
    },
    async send() {
      const { DynamoChallengeStore, db } = await stores();
      const { challenges, counters } = config().tables;
      return {
        observability: obs(),
        challenges: {
          ...(await messengers()),
          store: new DynamoChallengeStore(db, challenges, counters),
          clock: systemClock,
          random: systemRandom,
          pepper: await secret('codePepper'),
          config: config(),
        },
      };
    },
  };
}

export type { Observability };
