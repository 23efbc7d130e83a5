/**
 * Secrets Manager, locally: the template's generated secrets (random per start, under their
 * logical ids) and the secrets it names through parameters (the captcha secret, given with
 * `--secret Name=Value`). A secret is found by ARN or by name, as the API's SecretId is.
 *
 * Versions and staging labels work as the service's do, for what rotation uses: GetSecretValue by
 * version or stage, DescribeSecret, PutSecretValue with VersionStages, UpdateSecretVersionStage, and
 * RotateSecret, which runs the secret's rotation function (template.yaml's RotationSchedule) through
 * the local Lambda. Unlike the service, RotateSecret answers once the rotation has run (the answer
 * is the same), so a script can read the result at once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type LocalTemplate, secretArn } from './template.ts';

export type LocalSecretVersion = {
  versionId: string;
  /** Undefined for the empty version RotateSecret makes before createSecret fills it. */
  value: string | undefined;
  createdDate: Date;
  stages: Set<string>;
};

/** Runs a rotation step: the function's ARN and Secrets Manager's event; throws what the function threw. */
export type RotationInvoker = (functionArn: string, event: unknown) => Promise<unknown>;

/** A refusal in the service's shape: `type` is the error's `__type`, e.g. ResourceNotFoundException. */
export class LocalSecretsError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

const NOT_FOUND = "Secrets Manager can't find the specified secret.";
/** The service keeps about this many versions without a label before it deletes the oldest. */
const DEPRECATED_VERSIONS_KEPT = 100;

export class LocalSecret {
  readonly name: string;
  readonly arn: string;
  readonly createdDate: Date;
  /** Oldest first. */
  readonly versions = new Map<string, LocalSecretVersion>();
  rotation: {
    lambdaArn?: string;
    afterDays?: number;
    lastRotatedDate?: Date;
    /** The last rotation's failed step and the function's error, for a developer or a test to read. */
    lastFailure?: { step: string; error: string } | undefined;
  } = {};

  constructor(name: string, createdDate: Date) {
    this.name = name;
    this.arn = secretArn(name);
    this.createdDate = createdDate;
  }

  get rotationEnabled(): boolean {
    return this.rotation.lambdaArn !== undefined && this.rotation.afterDays !== undefined;
  }

  /** The AWSCURRENT version. */
  get current(): LocalSecretVersion {
    const current = this.withStage('AWSCURRENT');
    if (!current) throw new Error(`${this.name} has no AWSCURRENT version`);
    return current;
  }

  /** AWSCURRENT's value: what a function reads. */
  get value(): string {
    return this.current.value as string;
  }

  get versionId(): string {
    return this.current.versionId;
  }

  withStage(stage: string): LocalSecretVersion | undefined {
    return [...this.versions.values()].find((version) => version.stages.has(stage));
  }

  /** Puts `stage` on `version`, off any other; AWSCURRENT leaves AWSPREVIOUS on the version it left. */
  attach(stage: string, version: LocalSecretVersion): void {
    const holder = this.withStage(stage);
    if (holder === version) return;
    holder?.stages.delete(stage);
    version.stages.add(stage);
    if (stage === 'AWSCURRENT' && holder) this.attach('AWSPREVIOUS', holder);
  }

  prune(): void {
    const deprecated = [...this.versions.values()].filter((version) => version.stages.size === 0);
    for (const version of deprecated.slice(0, Math.max(0, deprecated.length - DEPRECATED_VERSIONS_KEPT))) {
      this.versions.delete(version.versionId);
    }
  }
}

export class LocalSecretsManager {
  readonly #byName = new Map<string, LocalSecret>();
  #invoke: RotationInvoker | undefined;

  /** How RotateSecret runs a rotation function (the runtime's local Lambda). */
  useRotationFunctions(invoke: RotationInvoker): void {
    this.#invoke = invoke;
  }

  /**
   * Creates the secret, or gives it a new AWSCURRENT version (a `put-secret-value`). `createdDate`
   * dates the version (and a new secret), e.g. back to when a stack would have created it.
   */
  put(name: string, value: string, createdDate = new Date()): LocalSecret {
    const secret = this.#byName.get(name) ?? new LocalSecret(name, createdDate);
    this.#byName.set(name, secret);
    const version = { versionId: randomUUID(), value, createdDate, stages: new Set<string>() };
    secret.versions.set(version.versionId, version);
    secret.attach('AWSCURRENT', version);
    secret.prune();
    return secret;
  }

  find(secretId: string): LocalSecret | undefined {
    const prefix = secretArn('');
    return this.#byName.get(secretId.startsWith(prefix) ? secretId.slice(prefix.length) : secretId);
  }

  /** Turns rotation on, as a RotationSchedule does. */
  configureRotation(secretId: string, lambdaArn: string, afterDays: number): void {
    this.#secret(secretId).rotation = { lambdaArn, afterDays };
  }

  /**
   * Fails at startup, as a deploy would, when a function is given the id of a secret that does not
   * exist here (`*_SECRET_ID` variables, see secretIdVariable), instead of at the first request.
   */
  requireEvery(environment: Record<string, string>): void {
    for (const [variable, id] of Object.entries(environment)) {
      if (!variable.endsWith('_SECRET_ID') || !id || this.find(id)) continue;
      throw new Error(
        `No local value for the secret ${id} (${variable}): give it with --secret ${id}=<value>`,
      );
    }
  }

  getSecretValue(request: { SecretId?: unknown; VersionId?: unknown; VersionStage?: unknown }) {
    const secret = this.#secret(request.SecretId);
    const { VersionId: versionId, VersionStage: stage } = request;
    const version =
      typeof versionId === 'string'
        ? secret.versions.get(versionId)
        : secret.withStage(typeof stage === 'string' ? stage : 'AWSCURRENT');
    const staged = typeof stage !== 'string' || version?.stages.has(stage);
    if (!version || !staged || version.value === undefined) {
      const which = typeof versionId === 'string' ? `VersionId: ${versionId}` : `staging label: ${stage}`;
      throw new LocalSecretsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for ${which}`,
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      SecretString: version.value,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate.getTime() / 1000,
    };
  }

  describeSecret(request: { SecretId?: unknown }) {
    const secret = this.#secret(request.SecretId);
    const { lambdaArn, afterDays, lastRotatedDate } = secret.rotation;
    return {
      ARN: secret.arn,
      Name: secret.name,
      RotationEnabled: secret.rotationEnabled,
      ...(lambdaArn && { RotationLambdaARN: lambdaArn }),
      ...(afterDays && { RotationRules: { AutomaticallyAfterDays: afterDays } }),
      ...(lastRotatedDate && { LastRotatedDate: lastRotatedDate.getTime() / 1000 }),
      CreatedDate: secret.createdDate.getTime() / 1000,
      // Only versions with a label: the service's list leaves the deprecated ones out.
      VersionIdsToStages: Object.fromEntries(
        [...secret.versions.values()]
          .filter((version) => version.stages.size > 0)
          .map((version) => [version.versionId, [...version.stages]]),
      ),
    };
  }

  putSecretValue(request: {
    SecretId?: unknown;
    ClientRequestToken?: unknown;
    SecretString?: unknown;
    VersionStages?: unknown;
  }) {
    const secret = this.#secret(request.SecretId);
    if (typeof request.SecretString !== 'string') {
      throw new LocalSecretsError('InvalidParameterException', 'Only SecretString is served locally');
    }
    const stages = Array.isArray(request.VersionStages) ? request.VersionStages.map(String) : ['AWSCURRENT'];
    const versionId =
      typeof request.ClientRequestToken === 'string' ? request.ClientRequestToken : randomUUID();
    let version = secret.versions.get(versionId);
    if (version?.value !== undefined && version.value !== request.SecretString) {
      throw new LocalSecretsError(
        'ResourceExistsException',
        "You can't modify an existing version, you can only create a new version.",
      );
    }
    if (version?.value === undefined) {
      // A new version, or the empty one a rotation made: its stages are the request's.
      version ??= { versionId, value: undefined, createdDate: new Date(), stages: new Set() };
      version.value = request.SecretString;
      secret.versions.set(versionId, version);
      for (const stage of stages) secret.attach(stage, version);
    }
    secret.prune();
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: [...version.stages] };
  }

  updateSecretVersionStage(request: {
    SecretId?: unknown;
    VersionStage?: unknown;
    MoveToVersionId?: unknown;
    RemoveFromVersionId?: unknown;
  }) {
    const secret = this.#secret(request.SecretId);
    const stage = String(request.VersionStage ?? '');
    if (!stage) throw new LocalSecretsError('InvalidParameterException', 'VersionStage is required');
    const holder = secret.withStage(stage);
    const from = typeof request.RemoveFromVersionId === 'string' ? request.RemoveFromVersionId : undefined;
    if (typeof request.MoveToVersionId === 'string') {
      const target = secret.versions.get(request.MoveToVersionId);
      if (!target) throw new LocalSecretsError('ResourceNotFoundException', NOT_FOUND);
      if (holder && holder !== target && holder.versionId !== from) {
        throw new LocalSecretsError(
          'InvalidParameterException',
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      secret.attach(stage, target);
    } else {
      const version = from === undefined ? undefined : secret.versions.get(from);
      if (!version?.stages.has(stage)) {
        throw new LocalSecretsError(
          'InvalidParameterException',
          `The staging label ${stage} is not attached to version ${from}.`,
        );
      }
      if (stage === 'AWSCURRENT') {
        throw new LocalSecretsError(
          'InvalidParameterException',
          'You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.',
        );
      }
      version.stages.delete(stage);
    }
    secret.prune();
    return { ARN: secret.arn, Name: secret.name };
  }

  /**
   * Runs the rotation function's four steps (only testSecret, on a copy of the current value, with
   * RotateImmediately false) with a new version id. A failed step ends the rotation, as on AWS
   * after its retries; `rotation.lastFailure` says which and why.
   */
  async rotateSecret(request: {
    SecretId?: unknown;
    ClientRequestToken?: unknown;
    RotationLambdaARN?: unknown;
    RotationRules?: { AutomaticallyAfterDays?: unknown };
    RotateImmediately?: unknown;
  }) {
    const secret = this.#secret(request.SecretId);
    if (typeof request.RotationLambdaARN === 'string') secret.rotation.lambdaArn = request.RotationLambdaARN;
    const days = Number(request.RotationRules?.AutomaticallyAfterDays);
    if (Number.isInteger(days) && days > 0) secret.rotation.afterDays = days;
    const lambdaArn = secret.rotation.lambdaArn;
    if (!lambdaArn || !this.#invoke) {
      throw new LocalSecretsError(
        'InvalidRequestException',
        `No rotation function is set for ${secret.name}.`,
      );
    }
    const pending = secret.withStage('AWSPENDING');
    if (pending && !pending.stages.has('AWSCURRENT')) {
      throw new LocalSecretsError(
        'InvalidRequestException',
        "A previous rotation isn't complete. That rotation will be reattempted.",
      );
    }
    const token = typeof request.ClientRequestToken === 'string' ? request.ClientRequestToken : randomUUID();
    const immediately = request.RotateImmediately !== false;
    const version: LocalSecretVersion = {
      versionId: token,
      value: immediately ? undefined : secret.value,
      createdDate: new Date(),
      stages: new Set(),
    };
    secret.versions.set(token, version);
    secret.attach('AWSPENDING', version);
    const steps = immediately ? ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] : ['testSecret'];
    secret.rotation.lastFailure = undefined;
    for (const step of steps) {
      try {
        await this.#invoke(lambdaArn, { Step: step, SecretId: secret.arn, ClientRequestToken: token });
      } catch (error) {
        secret.rotation.lastFailure = {
          step,
          error: `${(error as Error).name}: ${(error as Error).message}`,
        };
        break;
      }
    }
    if (!immediately) secret.versions.delete(token);
    else if (!secret.rotation.lastFailure) secret.rotation.lastRotatedDate = new Date();
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  }

  #secret(secretId: unknown): LocalSecret {
    if (typeof secretId !== 'string' || !secretId) {
      throw new LocalSecretsError('ValidationException', "Value at 'secretId' must not be null");
    }
    const secret = this.find(secretId);
    if (!secret) throw new LocalSecretsError('ResourceNotFoundException', NOT_FOUND);
    return secret;
  }
}

/** How far back the template's own secrets are dated: a deployed stack's are that old before anyone rotates. */
const TEMPLATE_SECRET_AGE_MS = 86_400_000;

/**
 * Every secret of the template, with `values` (by logical id or name) where given, random otherwise,
 * and rotation turned on where a RotationSchedule says so. The template's own secrets are dated a
 * day back, so the rotation guard lets a developer's first rotation through, as it would a stack's.
 */
export function localSecrets(
  template: LocalTemplate,
  values: Record<string, string> = {},
): LocalSecretsManager {
  const secrets = new LocalSecretsManager();
  const created = new Date(Date.now() - TEMPLATE_SECRET_AGE_MS);
  for (const [id] of template.resourcesOfType('AWS::SecretsManager::Secret')) {
    secrets.put(id, values[id] ?? randomBytes(48).toString('base64url'), created);
  }
  for (const [name, value] of Object.entries(values)) {
    if (!secrets.find(name)) secrets.put(name, value);
  }
  for (const [, schedule] of template.resourcesOfType('AWS::SecretsManager::RotationSchedule')) {
    const props = template.resolve(schedule.Properties ?? {}) as {
      SecretId: string;
      RotationLambdaARN: string;
      RotationRules?: { AutomaticallyAfterDays?: string | number };
    };
    secrets.configureRotation(
      props.SecretId,
      props.RotationLambdaARN,
      Number(props.RotationRules?.AutomaticallyAfterDays ?? 0),
    );
  }
  return secrets;
}
