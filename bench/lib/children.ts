/**
 * Processes the benchmark starts: the local runtime (`node local/main.ts`), SES local and the
 * DynamoDB counting proxy. Each is stopped by its own pid; nothing is killed by name.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { descendantsOf } from './proc.ts';

export type Started = { child: ChildProcess; url: string; output: () => string; stop: () => Promise<void> };

/** Spawns a Node process and waits for `ready` to match a line of its stdout (group 1 = the URL). */
export function startNode(
  args: string[],
  ready: RegExp,
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Started> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Grandchildren (DynamoDB Local's JVM) are stopped by the child's own exit handler; remember
    // them so that a child which dies without running it does not leave them behind.
    const descendants = child.pid ? descendantsOf(child.pid) : [];
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    for (const pid of descendants) {
      try {
        process.kill(pid, 0);
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(
        new Error(`${args.join(' ')} was not ready within ${options.timeoutMs ?? 60_000} ms:\n${output}`),
      );
    }, options.timeoutMs ?? 60_000);
    const onData = () => {
      const match = ready.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve({
        child,
        url: (match[1] as string).replace('//localhost:', '//127.0.0.1:'),
        output: () => output,
        stop,
      });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code}) before it was ready:\n${output}`));
    });
  });
}

/** `node local/main.ts --port 0 --param …`: the runtime prints its URL once it serves requests. */
export function startRuntimeChild(
  root: string,
  parameters: Record<string, string>,
  nodeFlags: string[] = [],
): Promise<Started> {
  return startNode(
    [
      ...nodeFlags,
      join(root, 'local', 'main.ts'),
      '--port',
      '0',
      ...Object.entries(parameters).flatMap(([name, value]) => ['--param', `${name}=${value}`]),
    ],
    /running locally at (http:\/\/\S+)/,
    { cwd: root, timeoutMs: 90_000 },
  );
}

/** aws-ses-v2-local's own CLI, so SES's server-side work stays out of the measured process. */
export function startSesChild(root: string): Promise<Started> {
  return startNode(
    [join(root, 'node_modules', 'aws-ses-v2-local', 'dist', 'cli.js'), '--host', '127.0.0.1', '--port', '0'],
    /server running at (http:\/\/\S+)/,
    { cwd: root },
  );
}

export function startDynamoCounter(root: string, upstream: string): Promise<Started> {
  return startNode([join(root, 'bench', 'lib', 'ddb-counter.ts'), upstream], /listening at (http:\/\/\S+)/, {
    cwd: root,
  });
}
