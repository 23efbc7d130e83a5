/**
 * layers/core/src/settings.ts declares every tunable once: template.yaml's Parameters and the
 * variables they feed must agree with it, and so must the README's table, which is written from it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { COUNTRY_LIST_PATTERN, SETTINGS, type Setting, urlsPattern } from '../../layers/core/src/settings.ts';
import { REPO_ROOT } from '../../local/runtime.ts';
import { LocalTemplate } from '../../local/template.ts';
import { withSettingsTable } from '../../scripts/docs-settings.ts';

const template = new LocalTemplate(REPO_ROOT);
const parameters = template.declaredParameters();
const withParameter = SETTINGS.filter((setting) => setting.parameter !== undefined);

/** What template.yaml must declare for a setting's Parameter, Description aside. */
function declarationOf(setting: Setting): Record<string, unknown> {
  switch (setting.kind) {
    case 'integer':
      return { Type: 'Number', Default: setting.default, MinValue: setting.min, MaxValue: setting.max };
    case 'text':
      return {
        Type: 'String',
        ...(setting.default !== undefined && { Default: setting.default }),
        ...(setting.allowedPattern !== undefined && { AllowedPattern: setting.allowedPattern }),
      };
    case 'oneOf':
      return {
        Type: typeof setting.default === 'number' ? 'Number' : 'String',
        Default: setting.default,
        AllowedValues: [...setting.values],
      };
    case 'countries':
      return { Type: 'String', Default: setting.default, AllowedPattern: COUNTRY_LIST_PATTERN };
    case 'urls':
      return { Type: 'String', Default: setting.default, AllowedPattern: urlsPattern(setting) };
  }
}

/** Every Parameter a value refers to, however deep in an intrinsic function (`!If`). */
function parametersIn(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref in parameters ? [ref] : [];
  return Object.values(value).flatMap(parametersIn);
}

type Environment = { Environment?: { Variables?: Record<string, unknown> } };

/** Each [variable, Parameter] a function's environment (Globals' or its own) takes from a Parameter. */
const fedByParameters = [
  template.functionGlobals() as Environment,
  ...template.resourcesOfType('AWS::Serverless::Function').map(([, fn]) => fn.Properties as Environment),
].flatMap((props) =>
  Object.entries(props?.Environment?.Variables ?? {}).flatMap(([variable, value]) =>
    parametersIn(value).map((parameter) => `${variable} ← ${parameter}`),
  ),
);

describe("template.yaml's Parameters", () => {
  it.each(withParameter.map((setting) => [setting.parameter, setting] as const))(
    'declare %s with the type, default and bounds of its setting',
    (name, setting) => {
      // Act
      const { Description: _, ...declared } = parameters[name ?? ''] ?? {};

      // Assess
      expect(declared).toEqual(declarationOf(setting));
    },
  );

  it('are all settings: none is declared that settings.ts does not know', () => {
    // Assess
    expect(Object.keys(parameters).sort()).toEqual(withParameter.map((setting) => setting.parameter).sort());
  });
});

describe("the functions' environment", () => {
  it.each(
    withParameter
      .filter((setting) => setting.variable)
      .map((setting) => [setting.variable, setting] as const),
  )('gives %s from its Parameter', (variable, setting) => {
    // Assess
    expect(fedByParameters).toContain(`${variable} ← ${setting.parameter}`);
  });

  it('takes from a Parameter only the variables settings.ts says it feeds', () => {
    // Prepare
    const declared = withParameter.map((setting) => `${setting.variable} ← ${setting.parameter}`);

    // Assess
    expect(fedByParameters.filter((mapping) => !declared.includes(mapping))).toEqual([]);
  });
});

describe('settings.ts', () => {
  it('names each Parameter, variable and place in the config once', () => {
    // Prepare
    const places = SETTINGS.flatMap((setting) =>
      setting.at ? [`${setting.at.section}.${setting.at.key}`] : [],
    );
    const once = (names: (string | undefined)[]) => {
      const given = names.filter((name) => name !== undefined);
      return given.filter((name, index) => given.indexOf(name) !== index);
    };

    // Assess
    expect(once(SETTINGS.map((setting) => setting.parameter))).toEqual([]);
    expect(once(SETTINGS.map((setting) => setting.variable))).toEqual([]);
    expect(once(places)).toEqual([]);
  });

  it.each(SETTINGS.map((setting) => [setting.parameter ?? setting.variable, setting] as const))(
    'gives %s a default inside its own bounds',
    (_, setting) => {
      // Assess
      if (setting.kind === 'integer') {
        expect(setting.default).toBeGreaterThanOrEqual(setting.min);
        expect(setting.default).toBeLessThanOrEqual(setting.max);
      }
      if (setting.kind === 'oneOf') expect(setting.values).toContain(setting.default);
      if (setting.kind === 'text' && setting.allowedPattern && setting.default !== undefined) {
        expect(setting.default).toMatch(new RegExp(setting.allowedPattern));
      }
    },
  );
});

describe("README.md's configuration table", () => {
  it('is the one `npm run docs:settings` writes from settings.ts', () => {
    // Prepare
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

    // Assess
    expect(readme).toBe(withSettingsTable(readme));
  });
});
