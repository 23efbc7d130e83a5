/**
 * Nothing under functions/ builds a client, reads the environment or does I/O while its module
 * loads: a module's top level only declares (imports, types, functions, constants) and exports its
 * handler as `deployed(...)`, which builds on the first invocation. So importing a handler is free,
 * and tests can build any of them from dependencies of their choosing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { REPO_ROOT } from '../../local/runtime.ts';

const FUNCTIONS = join(REPO_ROOT, 'functions');
const files = readdirSync(FUNCTIONS, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => join(FUNCTIONS, file));

/** An initializer that runs nothing: a literal, a function, or data made of them. */
function isInert(node: ts.Expression): boolean {
  if (ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isParenthesizedExpression(node)) {
    return isInert(node.expression);
  }
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return true;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isNumericLiteral(node)) {
    return true;
  }
  if (ts.isRegularExpressionLiteral(node)) return true;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AsteriskToken) {
    return isInert(node.left) && isInert(node.right);
  }
  if (ts.isArrayLiteralExpression(node)) return node.elements.every((e) => ts.isExpression(e) && isInert(e));
  if (ts.isObjectLiteralExpression(node)) {
    return node.properties.every((p) => ts.isPropertyAssignment(p) && isInert(p.initializer));
  }
  return false;
}

/** What runs when the module loads, other than declarations: one entry per statement that does. */
function importTimeWork(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const work: string[] = [];
  for (const statement of source.statements) {
    if (
      ts.isImportDeclaration(statement) ||
      ts.isExportDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isFunctionDeclaration(statement)
    ) {
      continue;
    }
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        const name = declaration.name.getText(source);
        const deployedHandler =
          name === 'handler' &&
          init !== undefined &&
          ts.isCallExpression(init) &&
          init.expression.getText(source) === 'deployed' &&
          init.arguments.every((argument) => ts.isArrowFunction(argument) || ts.isIdentifier(argument));
        if (init && !deployedHandler && !isInert(init))
          work.push(`${name} = ${init.getText(source).slice(0, 60)}`);
      }
      continue;
    }
    work.push(statement.getText(source).slice(0, 60));
  }
  return work;
}

describe('modules under functions/', () => {
  it.each(files.map((file) => [relative(REPO_ROOT, file), file] as const))(
    '%s does nothing when it loads',
    (_, file) => {
      // Act & Assess
      expect(importTimeWork(file)).toEqual([]);
    },
  );

  it('are found', () => {
    // Assess: every function's entry point and the composition root
    expect(files.map((file) => relative(FUNCTIONS, file))).toEqual(
      expect.arrayContaining(['api/start.ts', 'steps/send.ts', '_shared/root.ts']),
    );
  });
});
