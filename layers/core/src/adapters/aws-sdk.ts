/**
 * The AWS SDK classes the functions construct, from the layer. Function bundles leave out only
 * `@authkit/core`, so a function importing `@aws-sdk/*` itself would bundle a second copy of the SDK
 * beside the layer's; importing from here keeps one copy per sandbox. Add a class here when a
 * function needs one.
 */
export { DynamoDBClient } from '@aws-sdk/client-dynamodb';
export { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
export { SESv2Client } from '@aws-sdk/client-sesv2';
export {
  SFNClient,
  StartSyncExecutionCommand,
  type StartSyncExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
export { SNSClient } from '@aws-sdk/client-sns';
export { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
