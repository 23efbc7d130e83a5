/**
 * The file system of a Lambda sandbox, for built artifacts: the function's artifact directory copied
 * to <scratch>/var/task, each layer to <scratch>/opt, NODE_PATH as Lambda sets it, and nothing else.
 * Copies, not links: Node resolves packages from a module's real path, and a link back into the
 * repository would find its node_modules. Lambda's runtime also puts its own AWS SDK on NODE_PATH
 * (/var/runtime/node_modules); it is left out, so a bundle that still needs it fails here.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionBundle, LayerBundle } from './build-functions.ts';

export type Sandbox = {
  /** The handler module inside the sandbox's /var/task. */
  file: string;
  taskRoot: string;
  /** What Lambda sets that module resolution depends on. */
  env: { NODE_PATH: string; LAMBDA_TASK_ROOT: string };
  /** Arguments for `node` before the script: the NODE_PATH search Lambda's runtime adds. */
  nodeArgs: string[];
  remove: () => void;
};

const RESOLVE_HOOK = fileURLToPath(new URL('./lambda-esm-resolve.mjs', import.meta.url));

export function lambdaSandbox(fn: Pick<FunctionBundle, 'dir' | 'file'>, layers: LayerBundle[]): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'authkit-sandbox-'));
  const taskRoot = join(root, 'var', 'task');
  const opt = join(root, 'opt');
  mkdirSync(opt, { recursive: true });
  cpSync(fn.dir, taskRoot, { recursive: true });
  for (const layer of layers) cpSync(layer.dir, opt, { recursive: true });
  return {
    file: join(taskRoot, relative(fn.dir, fn.file)),
    taskRoot,
    env: {
      NODE_PATH: [join(opt, 'nodejs', 'node24', 'node_modules'), join(opt, 'nodejs', 'node_modules')].join(
        ':',
      ),
      LAMBDA_TASK_ROOT: taskRoot,
    },
    nodeArgs: ['--import', RESOLVE_HOOK],
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
