/**
 * The local runtime may listen beyond this machine (its `host` option), to try the API from a phone; its
 * emulated AWS APIs (secrets, the admin function's Invoke API, the event bus) and the inbox answer
 * clients on this machine only, as on AWS they sit behind IAM rather than on the API.
 */
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { client } from '../support/http.ts';
import { dynamodbEndpoint, sesEndpoint, TEST_PARAMETERS } from '../support/stack.ts';

/** This machine's address on its network: a client from there is not on loopback. */
function networkAddress(): string {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((one) => one && one.family === 'IPv4' && !one.internal);
  if (!found) throw new Error('these specs need a non-loopback IPv4 interface (os.networkInterfaces())');
  return found.address;
}

let runtime: LocalRuntime;
let fromNetwork: ReturnType<typeof client>;
beforeAll(async () => {
  runtime = await startLocalRuntime({
    host: '0.0.0.0',
    dynamodbEndpoint: dynamodbEndpoint(),
    sesEndpoint: sesEndpoint(),
    parameters: TEST_PARAMETERS,
  });
  const address = networkAddress();
  fromNetwork = client(runtime.url.replace('localhost', address), address);
});
afterAll(async () => {
  await runtime.close();
});

describe('a runtime listening on every interface', () => {
  it('serves the API to the network', async () => {
    expect((await fromNetwork.get('/health/live')).status).toBe(200);
  });

  it.each([
    ['the Secrets Manager API', '/_aws/secretsmanager'],
    ["the admin function's Invoke API", '/2015-03-31/functions/AdminFunction/invocations'],
    ['the event bus', '/_aws/events'],
  ])('refuses %s to the network', async (_, path) => {
    expect((await fromNetwork.post(path, {})).status).toBe(403);
  });

  it('refuses the inbox to the network, and serves it on this machine', async () => {
    expect((await fromNetwork.get('/_local/messages')).status).toBe(403);
    expect((await client(runtime.url).get('/_local/messages')).status).toBe(200);
  });

  it('refuses the stand-in app page to the network, and serves it on this machine', async () => {
    expect((await fromNetwork.get('/_local/app')).status).toBe(403);
    expect((await client(runtime.url).get('/_local/app')).status).toBe(200);
  });
});
