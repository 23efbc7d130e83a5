import {
  isRotationEvent,
  type KeyCommandResult,
  type KeyRotationDeps,
  KeyRotationRefused,
  type RotationOutcome,
  rotateSigningKey,
  runKeyCommand,
} from '@authkit/core';
import { rotationHandler } from '../_shared/handler.ts';
import { deployed } from '../_shared/lambda.ts';
import type { Observability } from '../_shared/powertools.ts';

export type SigningKeyRotationDeps = KeyRotationDeps & { observability: Observability };

/**
 * SigningKeyRotationFunction: Secrets Manager's rotation of SigningKeySecret (createSecret,
 * setSecret, testSecret, finishSecret; see key-rotation.ts), and the operator's `keys-status` and
 * `keys-revoke` (`npm run admin -- keys …`), invoked with lambda:InvokeFunction. No API route.
 */
export function signingKeyRotationHandler(deps: SigningKeyRotationDeps) {
  return rotationHandler<RotationOutcome | KeyCommandResult>(
    deps.observability,
    (error) => error instanceof KeyRotationRefused,
    (event) => (isRotationEvent(event) ? rotateSigningKey(deps, event) : runKeyCommand(deps, event)),
  );
}

export const handler = deployed((root) => root.signingKeyRotation(), signingKeyRotationHandler);
