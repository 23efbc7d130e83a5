import { SFNClient } from '@authkit/core/adapters/step-functions';
import { tracer } from './powertools.ts';

// StartSyncExecution goes to the `sync-states.<region>` host. An endpoint override (the local
// runtime's Step Functions endpoint) is a plain host, so the prefix must not be prepended to it.
export const sfn = tracer.captureAWSv3Client(
  new SFNClient({ disableHostPrefix: Boolean(process.env.AWS_ENDPOINT_URL_SFN) }),
);
