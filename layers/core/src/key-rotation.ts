/**
 * Rotating the ES256 signing key with no redeploy, and revoking a leaked one.
 *
 * The signing-key secret names the generation that signs (SigningSecret); every key is derived from
 * its seed, so rotating is writing generation n + 1 with the same seed: the key JWKS has published
 * as "next" since n became current. Secrets Manager drives it through the rotation function's four
 * steps (createSecret, setSecret, testSecret, finishSecret), each a separate invocation with the
 * same ClientRequestToken, the id of the version being made. The function must end with AWSPENDING
 * on no version or on the AWSCURRENT one, or every later RotateSecret is refused as "a previous
 * rotation isn't complete": so a refusal here takes AWSPENDING off the version it refuses.
 *
 * The guard (minimumGenerationAgeSeconds): generation n + 1 signs only once n has been current long
 * enough that (1) every verifier's copy of JWKS holds n + 1, and (2) every token n - 1 signed has
 * expired, since n - 1 leaves JWKS when n + 1 becomes current. A version's age counts from its
 * CreatedDate, which Secrets Manager sets and nobody can backdate.
 */
import { InvalidRequest } from './errors.ts';
import type { Clock, SecretVersion, SecretVersions } from './ports.ts';
import {
  checkSigningSecret,
  MAX_SIGNING_KEY_GENERATION,
  type SigningSecret,
  serializeSigningSecret,
} from './secret-material.ts';
import {
  deriveSigningKey,
  JWKS_MAX_AGE_SECONDS,
  publishedGenerations,
  SIGNING_SECRET_MAX_AGE_SECONDS,
} from './signing-key.ts';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager invokes the rotation function with. */
export type RotationEvent = { Step: RotationStep; SecretId: string; ClientRequestToken: string };

export type KeyRotationDeps = {
  secrets: SecretVersions;
  clock: Clock;
  /** The signing-key secret, for the operator's commands (Secrets Manager's events name theirs). */
  secretId: string;
  /** Seconds an access token lives: the guard waits out the last one a retiring key signed. */
  accessTtlSeconds: number;
};

/**
 * Seconds generation n must have been current before n + 1 may sign: an access token's lifetime,
 * plus how long a function keeps the signing-key secret, plus how long a verifier keeps JWKS.
 *
 * Let c be when n became current, and P (PENDING_MAX_AGE_SECONDS) how much earlier than c its
 * version may have been created. JWKS sandboxes publish n + 1 from c + secret max age at the
 * latest, and verifiers hold it a JWKS max-age later; n - 1 signed its last token before c + secret
 * max age, which expires an access-token lifetime later (a verifier may accept it for its clock
 * skew more: 30 s for AuthKit's authorizer). Counting from the version's creation, this minimum
 * covers both while the lifetime is at least P (its least is 60 s) and the JWKS max-age exceeds
 * P plus the skew (300 > 90).
 */
export function minimumGenerationAgeSeconds(accessTtlSeconds: number): number {
  return accessTtlSeconds + SIGNING_SECRET_MAX_AGE_SECONDS + JWKS_MAX_AGE_SECONDS;
}

/**
 * How old a pending version may be when finishSecret makes it current: its age stands in for the
 * current generation's, so it must be little older than the moment it became current. The four
 * steps run back to back in seconds; a rotation left pending longer is abandoned, not finished.
 */
export const PENDING_MAX_AGE_SECONDS = 60;

/** A rotation refused by a rule; the message says which, with the numbers, never a secret. */
export class KeyRotationRefused extends Error {
  override readonly name = 'KeyRotationRefused';
}

export type RotationOutcome = {
  step: RotationStep;
  outcome:
    | 'created'
    | 'already-created'
    | 'nothing-to-set'
    | 'tested'
    | 'configuration-tested'
    | 'promoted'
    | 'already-current';
  /** The generation the step made, tested or promoted. */
  generation?: number;
  /** Its public key's id. */
  kid?: string;
};

/** A key JWKS publishes, and what it is to the secret now. */
export type PublishedKey = { kid: string; generation: number; role: 'signing' | 'next' | 'previous' };

/** The operator's commands (`npm run admin -- keys …`). */
export type KeyCommand = { command: 'keys-status' } | { command: 'keys-revoke'; kid: string };

export type KeyCommandResult =
  | {
      command: 'keys-status';
      generation: number;
      keys: PublishedKey[];
      /** When the signing generation's version was created (ISO). */
      currentSince: string;
      /** The earliest a rotation may make the next generation current (ISO). */
      nextRotationFrom: string;
    }
  | { command: 'keys-revoke'; revoked: PublishedKey; generation: number; keys: PublishedKey[] };

/** Whether Secrets Manager sent `event` (rather than an operator's command). */
export function isRotationEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'Step' in event;
}

/** One step of Secrets Manager's rotation of the signing-key secret. */
export async function rotateSigningKey(deps: KeyRotationDeps, input: unknown): Promise<RotationOutcome> {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = rotationEvent(input);
  const { rotationEnabled, stages } = await deps.secrets.describe(secretId);
  const labels = stages[token];
  if (!labels) throw new KeyRotationRefused(`Version ${token} of ${secretId} has no stage for rotation`);
  // A step run again after finishSecret (Secrets Manager retries): the rotation is done.
  if (labels.includes('AWSCURRENT')) return { step, outcome: 'already-current' };
  if (!labels.includes('AWSPENDING')) {
    throw new KeyRotationRefused(`Version ${token} of ${secretId} is not AWSPENDING for rotation`);
  }
  // testSecret also runs as Secrets Manager's check of a rotation being set up, maybe before it is
  // on; the steps that write refuse a secret whose rotation was turned off.
  if ((step === 'createSecret' || step === 'finishSecret') && !rotationEnabled) {
    throw new KeyRotationRefused(`Rotation is not turned on for ${secretId}`);
  }
  const at = { ...deps, secretId };
  switch (step) {
    case 'createSecret':
      return createNextGeneration(at, token);
    case 'setSecret':
      // Nothing outside the secret holds the key: verifiers take it from JWKS, which publishes it.
      return { step, outcome: 'nothing-to-set' };
    case 'testSecret':
      return testNextGeneration(at, token);
    case 'finishSecret':
      return promoteNextGeneration(at, token, stages);
  }
}

/** createSecret: the current generation's successor, AWSPENDING under the token; idempotent. */
async function createNextGeneration(deps: KeyRotationDeps, token: string): Promise<RotationOutcome> {
  const step = 'createSecret';
  const current = await currentVersion(deps);
  const pending = await deps.secrets.read(deps.secretId, 'AWSPENDING', token);
  if (pending) return { step, outcome: 'already-created', ...(await describeVersion(deps, pending)) };
  await refuseTooSoon(deps, current, token);
  if (current.secret.generation >= MAX_SIGNING_KEY_GENERATION) {
    await abandon(deps, token);
    throw new KeyRotationRefused(`${deps.secretId} is at the last generation; put a new seed`);
  }
  const next = successor(current.secret);
  await deps.secrets.put(deps.secretId, serializeSigningSecret(next), {
    versionId: token,
    stages: ['AWSPENDING'],
  });
  return { step, outcome: 'created', ...(await keyOf(next)) };
}

/**
 * testSecret: the pending generation is the current one's successor and derives a key. With no new
 * value (Secrets Manager testing a rotation being set up: the pending version is empty or a copy of
 * the current one) the current value is what is tested.
 */
async function testNextGeneration(deps: KeyRotationDeps, token: string): Promise<RotationOutcome> {
  const step = 'testSecret';
  const current = await currentVersion(deps);
  const pending = await deps.secrets.read(deps.secretId, 'AWSPENDING', token);
  if (!pending || pending.value === current.value) {
    return { step, outcome: 'configuration-tested', ...(await keyOf(current.secret)) };
  }
  // The successor's key is the one JWKS publishes as next (publishedGenerations): it was published
  // before it signs.
  return { step, outcome: 'tested', ...(await keyOf(checkSuccessor(deps, current, pending))) };
}

/**
 * finishSecret: AWSCURRENT moves to the pending version, and AWSPENDING comes off it. Refused (and
 * the rotation abandoned) when the current version changed since createSecret (a revocation, a new
 * seed), when the pending version is too old to date the new generation, or when the guard would.
 */
async function promoteNextGeneration(
  deps: KeyRotationDeps,
  token: string,
  stages: Record<string, string[]>,
): Promise<RotationOutcome> {
  const step = 'finishSecret';
  const current = await currentVersion(deps);
  const pending = await deps.secrets.read(deps.secretId, 'AWSPENDING', token);
  if (!pending) {
    await abandon(deps, token);
    throw new KeyRotationRefused(`Version ${token} of ${deps.secretId} holds no value to make current`);
  }
  let next: SigningSecret;
  try {
    next = checkSuccessor(deps, current, pending);
  } catch (error) {
    await abandon(deps, token);
    throw error;
  }
  const pendingAge = ageSeconds(deps, pending);
  if (pendingAge > PENDING_MAX_AGE_SECONDS) {
    await abandon(deps, token);
    throw new KeyRotationRefused(
      `Version ${token} of ${deps.secretId} was created ${pendingAge} s ago, more than ${PENDING_MAX_AGE_SECONDS} s: too old to date generation ${next.generation} by; the rotation is abandoned, rotate again`,
    );
  }
  await refuseTooSoon(deps, current, token);
  const currentId = Object.keys(stages).find((id) => stages[id]?.includes('AWSCURRENT'));
  await deps.secrets.moveStage(deps.secretId, 'AWSCURRENT', { to: token, from: currentId });
  await deps.secrets.moveStage(deps.secretId, 'AWSPENDING', { from: token });
  return { step, outcome: 'promoted', ...(await keyOf(next)) };
}

/** The operator's commands: `keys-status`, and `keys-revoke` of a published key by its kid. */
export async function runKeyCommand(deps: KeyRotationDeps, input: unknown): Promise<KeyCommandResult> {
  const command = keyCommand(input);
  const current = await currentVersion(deps);
  if (command.command === 'keys-status') {
    const wait = minimumGenerationAgeSeconds(deps.accessTtlSeconds) * 1000;
    return {
      command: 'keys-status',
      generation: current.secret.generation,
      keys: await publishedKeys(current.secret),
      currentSince: new Date(current.createdAt).toISOString(),
      nextRotationFrom: new Date(current.createdAt + wait).toISOString(),
    };
  }
  return revokeKey(deps, current, command.kid);
}

/**
 * Revoking a leaked key: the secret moves past its generation and publishes nothing below the next
 * one, so the key stops verifying (and, if it signed, signing) as soon as each function reads the
 * secret again. It needs no rotation: a new AWSCURRENT version, put directly, so the guard does not
 * apply (the key must go now); later rotations count from it. A rotation under way is abandoned.
 */
async function revokeKey(
  deps: KeyRotationDeps,
  current: CurrentVersion,
  kid: string,
): Promise<KeyCommandResult> {
  const keys = await publishedKeys(current.secret);
  const leaked = keys.find((key) => key.kid === kid);
  if (!leaked) {
    throw new InvalidRequest(
      'kid',
      'is not a key JWKS publishes now, so nothing verifies with it; if the seed itself may have leaked, put a new seed (docs/runbook.md)',
    );
  }
  const revokedBelow = leaked.generation + 1;
  const generation = Math.max(current.secret.generation, revokedBelow);
  if (generation > MAX_SIGNING_KEY_GENERATION) {
    throw new KeyRotationRefused(`${deps.secretId} is at the last generation; put a new seed`);
  }
  const revoked: SigningSecret = { seed: current.secret.seed, generation, revokedBelow };
  const { stages } = await deps.secrets.describe(deps.secretId);
  await deps.secrets.put(deps.secretId, serializeSigningSecret(revoked));
  for (const [id, labels] of Object.entries(stages)) {
    if (labels.includes('AWSPENDING') && !labels.includes('AWSCURRENT')) await abandon(deps, id);
  }
  return { command: 'keys-revoke', revoked: leaked, generation, keys: await publishedKeys(revoked) };
}

type CurrentVersion = SecretVersion & { secret: SigningSecret };

async function currentVersion(deps: KeyRotationDeps): Promise<CurrentVersion> {
  const current = await deps.secrets.read(deps.secretId, 'AWSCURRENT');
  if (!current) throw new KeyRotationRefused(`${deps.secretId} has no AWSCURRENT version`);
  return { ...current, secret: checkSigningSecret(current.value, deps.secretId) };
}

/** The guard: refuses (abandoning the rotation) while the current generation is younger than the minimum. */
async function refuseTooSoon(deps: KeyRotationDeps, current: CurrentVersion, token: string): Promise<void> {
  const minimum = minimumGenerationAgeSeconds(deps.accessTtlSeconds);
  const age = ageSeconds(deps, current);
  if (age >= minimum) return;
  await abandon(deps, token);
  const from = new Date(current.createdAt + minimum * 1000).toISOString();
  throw new KeyRotationRefused(
    `Generation ${current.secret.generation} of ${deps.secretId} became current ${age} s ago; the next may sign from ${from}, ${minimum} s after (access-token lifetime ${deps.accessTtlSeconds} s + signing-secret cache ${SIGNING_SECRET_MAX_AGE_SECONDS} s + JWKS max-age ${JWKS_MAX_AGE_SECONDS} s). The rotation is abandoned; rotate again from then`,
  );
}

function successor(secret: SigningSecret): SigningSecret {
  const { revokedBelow } = secret;
  return { seed: secret.seed, generation: secret.generation + 1, ...(revokedBelow && { revokedBelow }) };
}

/** The pending value, if it is exactly the current one's successor (same seed, next generation). */
function checkSuccessor(
  deps: KeyRotationDeps,
  current: CurrentVersion,
  pending: SecretVersion,
): SigningSecret {
  const next = checkSigningSecret(pending.value, deps.secretId);
  if (serializeSigningSecret(next) !== serializeSigningSecret(successor(current.secret))) {
    throw new KeyRotationRefused(
      `Version ${pending.versionId} of ${deps.secretId} is not the successor of the current generation ${current.secret.generation}: the secret changed since the rotation began; the rotation is abandoned`,
    );
  }
  return next;
}

/**
 * Takes AWSPENDING off `versionId`, so the next RotateSecret can start. The refusal that called
 * this is the answer: were this to fail too, RotateSecret would say a previous rotation isn't
 * complete, and the runbook says how to take the label off by hand.
 */
async function abandon(deps: KeyRotationDeps, versionId: string): Promise<void> {
  await deps.secrets.moveStage(deps.secretId, 'AWSPENDING', { from: versionId }).catch(() => undefined);
}

async function publishedKeys(secret: SigningSecret): Promise<PublishedKey[]> {
  const role = (generation: number) =>
    generation === secret.generation ? 'signing' : generation > secret.generation ? 'next' : 'previous';
  return Promise.all(
    publishedGenerations(secret).map(async (generation) => ({
      kid: (await deriveSigningKey(secret.seed, generation)).kid,
      generation,
      role: role(generation),
    })),
  );
}

async function keyOf(secret: SigningSecret): Promise<{ generation: number; kid: string }> {
  return { generation: secret.generation, kid: (await deriveSigningKey(secret.seed, secret.generation)).kid };
}

async function describeVersion(deps: KeyRotationDeps, version: SecretVersion) {
  return keyOf(checkSigningSecret(version.value, deps.secretId));
}

function ageSeconds(deps: KeyRotationDeps, version: SecretVersion): number {
  return Math.floor((deps.clock.now() - version.createdAt) / 1000);
}

function rotationEvent(input: unknown): RotationEvent {
  const event = (input ?? {}) as Record<string, unknown>;
  if (!ROTATION_STEPS.includes(event.Step as RotationStep)) {
    throw new InvalidRequest('Step', `must be one of ${ROTATION_STEPS.join(', ')}`);
  }
  for (const field of ['SecretId', 'ClientRequestToken'] as const) {
    if (typeof event[field] !== 'string' || !event[field])
      throw new InvalidRequest(field, 'must be a string');
  }
  return event as RotationEvent;
}

function keyCommand(input: unknown): KeyCommand {
  const event = (input ?? {}) as Record<string, unknown>;
  if (event.command === 'keys-status') return { command: 'keys-status' };
  if (event.command !== 'keys-revoke') {
    throw new InvalidRequest('command', 'must be keys-status or keys-revoke');
  }
  // A kid is an RFC 7638 thumbprint: 43 base64url characters.
  if (typeof event.kid !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(event.kid)) {
    throw new InvalidRequest('kid', 'must be the kid of a published key');
  }
  return { command: 'keys-revoke', kid: event.kid };
}
