/** template.yaml passes cfn-lint, run by the same python3 as the other deploy specs. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '../../local/runtime.ts';
import { requirePythonModules } from '../support/python.ts';

requirePythonModules(['cfnlint']);

describe('template.yaml', () => {
  it('passes cfn-lint with no errors or warnings', () => {
    // Act
    const lint = spawnSync(
      'python3',
      ['-c', 'import sys; from cfnlint.runner import main; sys.exit(main())', 'template.yaml'],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );

    // Assess
    expect({ code: lint.status, output: `${lint.stdout}${lint.stderr}` }).toEqual({ code: 0, output: '' });
  });
});
