/**
 * EventBridge's event-pattern matching, for the local bus. No maintained npm package implements it
 * (the Java/Rust "event-ruler" has no JavaScript port), so this covers AWS's documented operators:
 * exact values (strings, numbers, null), prefix, suffix and equals-ignore-case (and prefix/suffix
 * ignoring case), anything-but (a value, a list, a prefix, a suffix, ignoring case, a wildcard),
 * numeric ranges, exists, wildcard, IPv4 cidr, `$or`, nested objects and arrays that match when any
 * element does. A pattern that uses anything else is refused when the rules are read, never
 * silently treated as a match.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Pattern = { [key: string]: Json };

/** True when `event` (the whole envelope: source, detail-type, detail…) matches `pattern`. */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  return matchesObject(pattern, event);
}

/** Throws, naming the path, when the pattern is not one EventBridge would accept (or we cannot run). */
export function checkPattern(pattern: unknown, path = ''): void {
  if (!isObject(pattern)) throw new Error(`event pattern${path ? ` at ${path}` : ''} must be an object`);
  for (const [key, value] of Object.entries(pattern)) {
    const here = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2)
        throw new Error(`event pattern at ${here} must list at least two patterns`);
      for (const [i, alternative] of value.entries()) checkPattern(alternative, `${here}[${i}]`);
    } else if (Array.isArray(value)) {
      for (const matcher of value) checkMatcher(matcher, here);
    } else if (isObject(value)) {
      checkPattern(value, here);
    } else {
      throw new Error(`event pattern at ${here} must be an array of values or an object`);
    }
  }
}

function matchesObject(pattern: Pattern, value: unknown): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(expected as Pattern[]).some((alternative) => matchesObject(alternative, value))) return false;
      continue;
    }
    const field = isObject(value) ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) {
      if (!matchesLeaf(expected, field)) return false;
    } else if (isObject(expected)) {
      // Arrays of objects match when any element matches the nested pattern.
      const candidates = Array.isArray(field) ? field : [field];
      if (!candidates.some((candidate) => matchesObject(expected as Pattern, candidate))) return false;
    } else {
      return false;
    }
  }
  return true;
}

function matchesLeaf(matchers: Json[], field: unknown): boolean {
  const absent = field === undefined;
  // `exists` asks about the field, not its values: an empty array has no value to match either.
  const values: unknown[] = absent ? [] : Array.isArray(field) ? field : [field];
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) {
      const exists = !absent && !(Array.isArray(field) && field.length === 0) && !isObject(field);
      return matcher.exists === exists;
    }
    return values.some((value) => matchesValue(matcher, value));
  });
}

function matchesValue(matcher: Json, value: unknown): boolean {
  if (!isObject(matcher)) return matcher === value;
  const [operator, operand] = Object.entries(matcher)[0] as [string, Json];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && affix(operand, value, (v, o) => v.startsWith(o));
    case 'suffix':
      return typeof value === 'string' && affix(operand, value, (v, o) => v.endsWith(o));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(operand).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcard(String(operand)).test(value);
    case 'numeric':
      return typeof value === 'number' && numeric(operand as Json[], value);
    case 'cidr':
      return typeof value === 'string' && inCidr(String(operand), value);
    case 'anything-but':
      return anythingBut(operand, value);
    default:
      return false;
  }
}

function affix(operand: Json, value: string, test: (value: string, operand: string) => boolean): boolean {
  if (isObject(operand)) {
    const ignoringCase = String(operand['equals-ignore-case']);
    return test(value.toLowerCase(), ignoringCase.toLowerCase());
  }
  return test(value, String(operand));
}

function anythingBut(operand: Json, value: unknown): boolean {
  if (Array.isArray(operand)) return !operand.includes(value as Json);
  if (!isObject(operand)) return value !== operand;
  // The string forms only say "not this" about strings: a number is not matched by them.
  if (typeof value !== 'string') return false;
  const [operator, inner] = Object.entries(operand)[0] as [string, Json];
  const list = Array.isArray(inner) ? inner.map(String) : [String(inner)];
  switch (operator) {
    case 'prefix':
      return !list.some((item) => value.startsWith(item));
    case 'suffix':
      return !list.some((item) => value.endsWith(item));
    case 'equals-ignore-case':
      return !list.some((item) => item.toLowerCase() === value.toLowerCase());
    case 'wildcard':
      return !list.some((item) => wildcard(item).test(value));
    default:
      return false;
  }
}

function numeric(conditions: Json[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = Number(conditions[i + 1]);
    const holds = {
      '<': value < bound,
      '<=': value <= bound,
      '=': value === bound,
      '>=': value >= bound,
      '>': value > bound,
    }[String(conditions[i])];
    if (!holds) return false;
  }
  return true;
}

function wildcard(pattern: string): RegExp {
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}

function inCidr(cidr: string, address: string): boolean {
  const [network, bits] = cidr.split('/');
  const toInt = (ip: string) => {
    const octets = ip.split('.').map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return undefined;
    return octets.reduce((acc, o) => acc * 256 + o, 0);
  };
  const base = toInt(network ?? '');
  const ip = toInt(address);
  const size = Number(bits ?? 32);
  if (base === undefined || ip === undefined) return false;
  const block = 2 ** (32 - size);
  return Math.floor(ip / block) === Math.floor(base / block);
}

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'numeric',
  'cidr',
  'anything-but',
  'exists',
]);

function checkMatcher(matcher: unknown, path: string): void {
  if (!isObject(matcher)) return;
  const keys = Object.keys(matcher);
  const [operator] = keys;
  if (keys.length !== 1 || operator === undefined || !OPERATORS.has(operator))
    throw new Error(`event pattern at ${path}: unsupported matcher ${JSON.stringify(matcher)}`);
  const operand = matcher[operator] as Json;
  if (operator === 'numeric') {
    const list = operand as Json[];
    const valid =
      Array.isArray(list) &&
      list.length % 2 === 0 &&
      list.length > 0 &&
      list.every((item, i) =>
        i % 2 === 0 ? ['<', '<=', '=', '>=', '>'].includes(String(item)) : typeof item === 'number',
      );
    if (!valid) throw new Error(`event pattern at ${path}: bad numeric matcher ${JSON.stringify(operand)}`);
  }
  if (operator === 'exists' && typeof operand !== 'boolean')
    throw new Error(`event pattern at ${path}: exists takes true or false`);
}

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
