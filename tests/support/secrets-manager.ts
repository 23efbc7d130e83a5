/**
 * The local Secrets Manager endpoint (the one `npm start` serves on its own port) on a loopback
 * port of its own, for tests that run handlers without a whole runtime.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { handleSecretsManager } from '../../local/aws-endpoints.ts';
import type { LocalSecretsManager } from '../../local/secrets-manager.ts';
import { LOCAL_REGION } from '../../local/template.ts';

/**
 * The Secrets Manager operations the rotation function calls: the rotation specs see it call these
 * and no other, and template.yaml grants it exactly these (tests/deploy/sam-transform.test.ts).
 */
export const ROTATION_OPERATIONS = [
  'DescribeSecret',
  'GetSecretValue',
  'PutSecretValue',
  'UpdateSecretVersionStage',
] as const;

export async function serveSecretsManager(
  secrets: LocalSecretsManager,
): Promise<{ endpoint: string; close: () => Promise<void>; operations: Set<string> }> {
  const operations = new Set<string>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'] as string | undefined;
      if (target) operations.add(target.replace(/^secretsmanager\./, ''));
      handleSecretsManager(secrets, target, Buffer.concat(chunks), response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'InternalServiceError', message: String(error) }));
      });
    });
  });
  // Test files never have to close it: neither the server nor its connections keep a worker alive.
  server.unref();
  server.on('connection', (socket) => socket.unref());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Every operation called (e.g. `GetSecretValue`), for a spec to hold to a role's grants. */
    operations,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The real SDK client, pointed at a local Secrets Manager endpoint with the runtime's credentials. */
export function localSecretsManagerClient(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
