/**
 * Writes README.md's configuration table from layers/core/src/settings.ts, between its two marker
 * comments: `npm run docs:settings`. tests/unit/settings.test.ts fails while the README's differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS, type Setting } from '../layers/core/src/settings.ts';

const BEGIN = '<!-- settings:begin - written by `npm run docs:settings` from layers/core/src/settings.ts -->';
const END = '<!-- settings:end -->';

/** The README with its table between the markers replaced by the one the settings give. */
export function withSettingsTable(readme: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md must hold ${BEGIN} and, after it, ${END}`);
  return `${readme.slice(0, begin + BEGIN.length)}\n\n${settingsTable()}\n\n${readme.slice(end)}`;
}

function settingsTable(): string {
  const header = ['Parameter', 'Environment variable', 'Default', 'Bounds / values', 'Description'];
  const rows = SETTINGS.map((setting) => [
    setting.parameter ? code(setting.parameter) : '—',
    setting.variable ? code(setting.variable) : '—',
    defaultOf(setting),
    boundsOf(setting),
    setting.description,
  ]);
  // Padded to even columns, so the table reads in plain text too.
  const widths = header.map((_, column) =>
    Math.max(...[header, ...rows].map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function defaultOf(setting: Setting): string {
  if (setting.default === undefined) return 'none: **required**';
  if (setting.default === '') return 'empty';
  return typeof setting.default === 'number' ? String(setting.default) : code(setting.default);
}

function boundsOf(setting: Setting): string {
  switch (setting.kind) {
    case 'integer': {
      const bounds = `${setting.min}–${setting.max}`;
      return setting.atMost ? `${bounds}, at most ${code(setting.atMost)}` : bounds;
    }
    case 'text': {
      const rules = [
        setting.allowedPattern && code(setting.allowedPattern),
        setting.differsFrom && `not ${code(setting.differsFrom)}`,
      ];
      return rules.filter(Boolean).join(', ');
    }
    case 'oneOf':
      // A long list of numbers (CloudWatch's retention periods) would stretch the table.
      return setting.values.length > 8
        ? `one of ${setting.values.length} values, ${setting.values[0]}–${setting.values.at(-1)}`
        : setting.values.map((value) => code(String(value))).join(', ');
    case 'countries':
      return 'ISO 3166 alpha-2 codes';
    case 'urls':
      return `${setting.single ? 'one URL' : 'URLs'}: https, or http on localhost`;
  }
}

/** Markdown code, with the pipes that would end a table cell escaped. */
function code(text: string): string {
  return `\`${text.replaceAll('|', '\\|')}\``;
}

if (import.meta.main) {
  const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
  writeFileSync(readme, withSettingsTable(readFileSync(readme, 'utf8')));
}
