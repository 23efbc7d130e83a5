/** `@authkit/core/adapters/step-functions`: what the start function runs the workflow with. */
export {
  SFNClient,
  StartSyncExecutionCommand,
  type StartSyncExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
