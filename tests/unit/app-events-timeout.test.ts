/**
 * AuthKit's own events are published after a send was decided, from the send step: a PutEvents
 * that never answers must end in an error the step survives (counted, logged), not hold the step —
 * and a failed send's claim release — until the Lambda times out.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { awsRoot } from '../../functions/_shared/root.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';

let silent: Server;
const sockets: Socket[] = [];
beforeAll(async () => {
  // The SDK takes its region and credentials from the process, as on Lambda.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  // Accepts connections and never answers.
  silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe("the send step's event publisher", () => {
  it('gives up on an EventBridge that never answers', async () => {
    // Prepare
    const send = new LocalTemplate(REPO_ROOT, { parameters: { TokenIssuer: 'https://auth.example.com' } })
      .functions()
      .find((fn) => fn.id === 'SendChallengeFunction');
    const { port } = silent.address() as { port: number };
    const deps = await awsRoot({
      ...send?.environment,
      AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${port}`,
    }).send();

    // Act
    const published = deps.challenges.feedback?.events.publish([{ detailType: 'Probe', detail: {} }]);
    const hung = new Promise((resolve) => setTimeout(resolve, 20_000, 'still waiting'));

    // Assess: the SDK's three attempts of at most 2 s each, not the Lambda's timeout
    await expect(Promise.race([published, hung])).rejects.toThrow(/timeout|timed out/i);
  }, 25_000);
});
