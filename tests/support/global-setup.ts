/**
 * Starts the real local parts once for the whole run: DynamoDB Local (tables from template.yaml)
 * and aws-ses-v2-local. Test files reach them through the environment set here.
 */
import { createTables, startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { startSesLocal } from '../../local/ses-local.ts';
import { LocalTemplate } from '../../local/template.ts';

export default async function globalSetup(): Promise<void> {
  const [dynamodb, ses] = await Promise.all([startDynamoDbLocal(), startSesLocal()]);
  const template = new LocalTemplate(REPO_ROOT);
  await createTables(dynamodb.endpoint, template);
  process.env.AUTHKIT_TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
  process.env.AUTHKIT_TEST_SES_ENDPOINT = ses.endpoint;
  (globalThis as { __authkitStop?: () => Promise<void> }).__authkitStop = async () => {
    dynamodb.stop();
    await ses.stop();
  };
}
