/**
 * The template and deploy specs run python3 tools: cfn-lint, aws-sam-translator (which cfn-lint
 * installs) and moto. CI has them; on a machine without them these specs fail, never skip, with the
 * command that installs them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const INSTALL_PYTHON_TOOLS = 'pip install cfn-lint "moto[server]"';

/** Throws, naming the missing modules and how to install them, unless python3 imports them all. */
export function requirePythonModules(modules: string[]): void {
  const probe = spawnSync('python3', ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (probe.status === 0) return;
  throw new Error(
    `these specs need python3 with the modules ${modules.join(', ')}; install them with: ${INSTALL_PYTHON_TOOLS}\n` +
      (probe.error?.message ?? probe.stderr.trim()),
  );
}

/** template.yaml as CloudFormation receives it: the SAM transform run offline (sam_translate.py). */
export function samTranslated<T>(root: string): T {
  requirePythonModules(['samtranslator']);
  const output = execFileSync(
    'python3',
    [join(root, 'tests/deploy/sam_translate.py'), join(root, 'template.yaml')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 },
  );
  return JSON.parse(output) as T;
}
