/**
 * The load generator's HTTP client and one complete sign-in flow, as an app and a developer reading
 * the local inbox would do it: POST /v1/auth/start → GET /_local/messages?to= → POST /v1/auth/verify.
 */
import { Agent, request } from 'node:http';

export type Reply = { status: number; text: string };
export type Client = {
  name: string;
  call: (method: string, path: string, body?: string) => Promise<Reply>;
  close: () => void;
};

/** node:http with one keep-alive agent: the least client overhead measured here (see calibrate). */
export function httpClient(baseUrl: string, maxSockets = 64): Client {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const call = (method: string, path: string, body?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request(
        { host: url.hostname, port: url.port, method, path, agent, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { name: 'node:http request + Agent({ keepAlive: true })', call, close: () => agent.destroy() };
}

/** Node's global fetch (undici), which keeps connections alive by default. */
export function fetchClient(baseUrl: string): Client {
  const call = async (method: string, path: string, body?: string): Promise<Reply> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
    });
    return { status: response.status, text: await response.text() };
  };
  return { name: 'fetch (undici)', call, close: () => undefined };
}

export type FlowTiming = { totalMs: number; startMs: number; inboxMs: number; verifyMs: number };

export class FlowError extends Error {
  override readonly name = 'FlowError';
}

let sequence = 0;
const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;

/** A fresh address for every flow, so no two flows share an identifier (or its rate limit). */
export function uniqueEmail(): string {
  return `bench.${runId}.${(sequence++).toString(36)}@example.com`;
}

/** One complete sign-in; throws FlowError with the step and status when any step is off-contract. */
export async function signInFlow(client: Client, email = uniqueEmail()): Promise<FlowTiming> {
  const t0 = performance.now();
  const started = await client.call('POST', '/v1/auth/start', JSON.stringify({ identifier: email }));
  if (started.status !== 202) throw new FlowError(`start ${started.status}: ${started.text.slice(0, 200)}`);
  const { challengeId } = JSON.parse(started.text) as { challengeId: string };
  const t1 = performance.now();
  const inbox = await client.call('GET', `/_local/messages?to=${encodeURIComponent(email)}&limit=1`);
  if (inbox.status !== 200) throw new FlowError(`inbox ${inbox.status}: ${inbox.text.slice(0, 200)}`);
  const [message] = (JSON.parse(inbox.text) as { messages: { text: string }[] }).messages;
  const code = /\b(\d{6,8})\b/.exec(message?.text ?? '')?.[1];
  if (!code) throw new FlowError(`inbox: no code for ${email}`);
  const t2 = performance.now();
  const verified = await client.call('POST', '/v1/auth/verify', JSON.stringify({ challengeId, code }));
  if (verified.status !== 200)
    throw new FlowError(`verify ${verified.status}: ${verified.text.slice(0, 200)}`);
  if (!(JSON.parse(verified.text) as { accessToken?: string }).accessToken)
    throw new FlowError('verify: no accessToken');
  const t3 = performance.now();
  return { totalMs: t3 - t0, startMs: t1 - t0, inboxMs: t2 - t1, verifyMs: t3 - t2 };
}
