/**
 * The local Secrets Manager endpoint (the one `npm start` serves on its own port) on a loopback
 * port of its own, for tests that run handlers without a whole runtime.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleSecretsManager } from '../../local/aws-endpoints.ts';
import type { LocalSecretsManager } from '../../local/secrets-manager.ts';

export async function serveSecretsManager(
  secrets: LocalSecretsManager,
): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () =>
      handleSecretsManager(
        secrets,
        request.headers['x-amz-target'] as string | undefined,
        Buffer.concat(chunks),
        response,
      ),
    );
  });
  // Test files never have to close it: neither the server nor its connections keep a worker alive.
  server.unref();
  server.on('connection', (socket) => socket.unref());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
