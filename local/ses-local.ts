/** aws-ses-v2-local, in this process, on a free loopback port. */
import type { AddressInfo } from 'node:net';
import sesLocal from 'aws-ses-v2-local';

// A CommonJS module with `exports.default`: Node's ESM loader hands over the exports object.
const sesServer = sesLocal.default;

export type SesLocal = { endpoint: string; stop: () => Promise<void> };

export async function startSesLocal(): Promise<SesLocal> {
  const server = await sesServer({ host: '127.0.0.1', port: 0 });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
