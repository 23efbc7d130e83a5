/**
 * The product as tests use it: the environment template.yaml gives the functions, pointed at the
 * run's DynamoDB Local and SES local, and the local runtime's parts built from the same template.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LocalLambda } from '../../local/lambda.ts';
import {
  type LocalRuntime,
  REPO_ROOT,
  startLocalRuntime,
  useFunctionEnvironment,
} from '../../local/runtime.ts';
import { localSecrets } from '../../local/secrets-manager.ts';
import { LocalStepFunctions, type TaskInvoker } from '../../local/step-functions.ts';
import { LOCAL_REGION, LocalTemplate } from '../../local/template.ts';
import { serveSecretsManager } from './secrets-manager.ts';

export const dynamodbEndpoint = (): string => required('AUTHKIT_TEST_DYNAMODB_ENDPOINT');
export const sesEndpoint = (): string => required('AUTHKIT_TEST_SES_ENDPOINT');

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the tests through jest (global setup starts the emulators)`);
  return value;
}

/** The template's own secrets, by logical id, as the test's local Secrets Manager serves them. */
export const TEST_SECRETS = {
  CodePepperSecret: 'test-pepper-'.padEnd(48, 'p'),
  SigningKeySecret: 'test-seed-'.padEnd(48, 's'),
};

/** Tests share one IP (loopback) and run many sign-ins: the IP, network and global budgets are raised. */
export const TEST_PARAMETERS = {
  RateLimitPerIp: '1000000',
  RateLimitPerNetwork: '1000000',
  RateLimitGlobal: '100000000',
  LogLevel: 'ERROR',
};

/**
 * Sets the functions' environment as template.yaml defines it, with a local Secrets Manager that
 * serves TEST_SECRETS and `secrets` (by name), and returns the template. Handler modules read the
 * environment when first imported, so call this before importing them.
 */
export async function useTemplateEnvironment(
  parameters: Record<string, string> = {},
  secrets: Record<string, string> = {},
): Promise<LocalTemplate> {
  const template = new LocalTemplate(REPO_ROOT, {
    parameters: { TokenIssuer: 'https://auth.test', ...TEST_PARAMETERS, ...parameters },
  });
  const served = localSecrets(template, { ...TEST_SECRETS, ...secrets });
  for (const fn of template.functions()) served.requireEvery(fn.environment);
  const secretsManager = await serveSecretsManager(served);
  useFunctionEnvironment(template, {
    dynamodb: dynamodbEndpoint(),
    ses: sesEndpoint(),
    secretsManager: secretsManager.endpoint,
  });
  return template;
}

/** The challenge workflow as `StartSyncExecution` runs it locally; `wrap` lets a test inject faults. */
export function challengeWorkflow(
  template: LocalTemplate,
  wrap: (invoker: TaskInvoker) => TaskInvoker = (invoker) => invoker,
): { stepFunctions: LocalStepFunctions; arn: string; lambda: LocalLambda } {
  const lambda = new LocalLambda(template.functions());
  const [machine] = template.stateMachines();
  if (!machine) throw new Error('template.yaml defines no state machine');
  return {
    stepFunctions: new LocalStepFunctions(template.stateMachines(), wrap(lambda)),
    arn: machine.arn,
    lambda,
  };
}

export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamodbEndpoint(),
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}

/** `secrets`: values, by name, for the secrets `parameters` name (as `npm start -- --secret`). */
export function startTestRuntime(
  parameters: Record<string, string> = {},
  secrets: Record<string, string> = {},
  functionEnvironment?: (functionId: string) => Record<string, string>,
): Promise<LocalRuntime> {
  return startLocalRuntime({
    port: 0,
    dynamodbEndpoint: dynamodbEndpoint(),
    sesEndpoint: sesEndpoint(),
    parameters: { ...TEST_PARAMETERS, ...parameters },
    secrets,
    functionEnvironment,
  });
}

/** Emails in SES local addressed to `to`, oldest first. */
export async function emailsTo(to: string): Promise<{ subject: string; body: { text?: string } }[]> {
  const { emails } = (await (await fetch(`${sesEndpoint()}/store`)).json()) as {
    emails: { destination: { to: string[] }; subject: string; body: { text?: string } }[];
  };
  return emails.filter((email) => email.destination.to.includes(to));
}

export const codeIn = (text: string | undefined): string => {
  const match = /\b(\d{6,8})\b/.exec(text ?? '');
  if (!match) throw new Error(`no code in message: ${text}`);
  return match[1] as string;
};

let counter = 0;
/** A fresh address per test, so tests sharing the tables never share an identifier. */
export const uniqueEmail = (label = 'user'): string =>
  `${label}.${Date.now().toString(36)}.${(counter++).toString(36)}.${Math.random().toString(36).slice(2, 8)}@example.com`;
