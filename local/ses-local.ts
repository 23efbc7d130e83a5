/** aws-ses-v2-local, in this process, on a free loopback port. */
import type { AddressInfo } from 'node:net';
import sesLocal from 'aws-ses-v2-local';
import { getStoreReadonly } from 'aws-ses-v2-local/dist/store.js';
import type { EmailSource, SesStoredEmail } from './outbox.ts';

// A CommonJS module with `exports.default`: Node's ESM loader hands over the exports object.
const sesServer = sesLocal.default;

export type SesLocal = { endpoint: string; emails: EmailSource; stop: () => Promise<void> };

export async function startSesLocal(): Promise<SesLocal> {
  const server = await sesServer({ host: '127.0.0.1', port: 0 });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    emails: new InProcessEmailSource(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Reads the server's store directly when it runs in this process: new emails are the tail of an
 * append-only array, so each read costs what arrived since the last one (over HTTP, `?since=`
 * re-serialises the whole last second, which grows with load).
 */
class InProcessEmailSource implements EmailSource {
  #read = 0;

  async newEmails(): Promise<SesStoredEmail[]> {
    const { emails } = getStoreReadonly();
    if (emails.length < this.#read) this.#read = 0; // the store was cleared
    const fresh = emails.slice(this.#read) as unknown as SesStoredEmail[];
    this.#read = emails.length;
    return fresh;
  }
}
