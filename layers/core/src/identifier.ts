/**
 * An identifier is what a user types to sign in: an email address or an international phone number.
 * Everything downstream (rate limits, storage keys, delivery) trusts the normalised form, so this is
 * the one place raw input is judged. It is deliberately stricter than RFC 5321/5322: anything a
 * mail or SMS provider might interpret (quoted local parts, RFC 2047 encoded words, "%" and "!"
 * routing, IP literals, header separators) is refused.
 */
import { domainToASCII } from 'node:url';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { InvalidRequest } from './errors.ts';

export type EmailIdentifier = { kind: 'email'; value: string; domain: string };
export type PhoneIdentifier = {
  kind: 'phone';
  value: string;
  country: string | undefined;
  numberType: string | undefined;
  callingCode: string;
};
export type Identifier = EmailIdentifier | PhoneIdentifier;
export type Channel = 'email' | 'sms' | 'whatsapp';

const CHANNELS: readonly Channel[] = ['email', 'sms', 'whatsapp'];

// 320 = 64 (local) + 1 + 255 (domain): the historical upper bound, checked before any parsing work.
const MAX_RAW_LENGTH = 320;
const MAX_LOCAL_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;
const MAX_DOMAIN_LENGTH = 253;
// RFC 5321 path limit (256) minus the angle brackets.
const MAX_ADDRESS_LENGTH = 254;

// RFC 5322 atext but for "!" and "%" (refused with their own reasons): an unquoted local part. ASCII
// only because SES does not support SMTPUTF8.
const LOCAL_PART_CHARACTERS = /^[A-Za-z0-9#$&'*+/=?^_`{|}~.-]+$/;
const DOMAIN_ASCII_OUTSIDE_HOSTNAME = /[^A-Za-z0-9.\-\u0080-\uffff]/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const IPV4_PART = /^(?:[0-9]+|0x[0-9a-f]*)$/;
// Formatting people commonly paste; letters are refused so libphonenumber cannot read "ext." or vanity numbers.
const PHONE_CHARACTERS = /^\+[0-9 ().-]+$/;

const MASK = '*';

function invalid(detail: string): InvalidRequest {
  return new InvalidRequest('identifier', detail);
}

/** C0, DEL, C1 and the Unicode line/paragraph separators: anything that could split a header or a log line. */
function hasControlCharacter(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

export function normalizeIdentifier(raw: string): Identifier {
  // Callers pass parsed JSON, so the type annotation is a hope rather than a guarantee.
  if (typeof raw !== 'string') throw invalid('must be a string');
  // Checked before trimming: trim() would silently drop a trailing CRLF that signals an injection attempt.
  if (hasControlCharacter(raw)) throw invalid('must not contain line breaks or control characters');
  if (raw.length > MAX_RAW_LENGTH) throw invalid(`must be at most ${MAX_RAW_LENGTH} characters`);
  const input = raw.trim();
  if (input === '') throw invalid('must not be empty');
  if (input.includes('@')) return normalizeEmail(input);
  if (input.startsWith('+')) return normalizePhone(input);
  throw invalid('send an email address or a phone number in international E.164 format, e.g. +14155550123');
}

function normalizeEmail(input: string): EmailIdentifier {
  const parts = input.split('@');
  if (parts.length !== 2) throw invalid('an email address must contain exactly one "@"');
  const [local = '', rawDomain = ''] = parts;
  validateLocalPart(local);
  const domain = normalizeDomain(rawDomain);
  const value = `${local}@${domain}`;
  if (value.length > MAX_ADDRESS_LENGTH) {
    throw invalid(`an email address must be at most ${MAX_ADDRESS_LENGTH} characters`);
  }
  return { kind: 'email', value, domain };
}

function validateLocalPart(local: string): void {
  if (local === '') throw invalid('an email address needs a name before the "@"');
  if (local.length > MAX_LOCAL_LENGTH) {
    throw invalid(`the part before the "@" must be at most ${MAX_LOCAL_LENGTH} characters`);
  }
  // Each is legal atext, but SES or a mail server along the way may decode or route it, delivering the
  // code to a mailbox other than the one the address names.
  if (local.includes('=?')) {
    throw invalid(
      'the part before the "@" must not contain "=?" (RFC 2047 encoded words such as "=?utf-8?q?...?=")',
    );
  }
  if (local.includes('%')) {
    throw invalid('the part before the "@" must not contain "%" (source routing such as "user%host@relay")');
  }
  if (local.includes('!')) {
    throw invalid('the part before the "@" must not contain "!" (UUCP bang paths such as "host!user@relay")');
  }
  if (!LOCAL_PART_CHARACTERS.test(local)) {
    throw invalid(
      'the part before the "@" may only contain ASCII letters, digits, dots and #$&\'*+/=?^_`{|}~-' +
        ' (no spaces, quotes, brackets, commas, semicolons or backslashes)',
    );
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    throw invalid('the part before the "@" must not start or end with a dot or contain two dots in a row');
  }
}

function normalizeDomain(rawDomain: string): string {
  if (rawDomain === '') throw invalid('an email address needs a domain after the "@"');
  if (rawDomain.startsWith('[')) throw invalid('IP address literals are not accepted as email domains');
  // domainToASCII follows the WHATWG URL host parser: it percent-decodes "%41" and cuts "b.com/x" down
  // to "b.com", so ASCII is limited to hostname characters before it runs. Non-ASCII is left for IDNA.
  if (DOMAIN_ASCII_OUTSIDE_HOSTNAME.test(rawDomain)) {
    throw invalid('the email domain may only contain letters, digits, dots and hyphens');
  }
  // Checked before conversion too, because the URL host parser fails on "example.123" with no reason given.
  if (endsInNumber(rawDomain)) throw invalid('IP addresses are not accepted as email domains');
  const domain = domainToASCII(rawDomain.toLowerCase());
  if (domain === '') throw invalid('the email domain is not a valid domain name');
  if (domain.length > MAX_DOMAIN_LENGTH) {
    throw invalid(`the email domain must be at most ${MAX_DOMAIN_LENGTH} characters`);
  }
  const labels = domain.split('.');
  if (labels.length < 2) throw invalid('the email domain must contain a dot, e.g. example.com');
  if (labels.includes('')) {
    throw invalid('the email domain must not start or end with a dot or contain two dots in a row');
  }
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH || !LABEL.test(label)) {
      throw invalid(
        `the email domain has an invalid part "${label}": each part must be 1 to ${MAX_LABEL_LENGTH}` +
          ' letters, digits or hyphens, and must not start or end with a hyphen',
      );
    }
  }
  // Full-width digits only become ASCII during conversion, so the raw check alone is not enough.
  if (endsInNumber(domain)) throw invalid('IP addresses are not accepted as email domains');
  return domain;
}

/** The URL standard's test for an IPv4 host: a last label that is decimal or 0x-hexadecimal. */
function endsInNumber(domain: string): boolean {
  const last = domain.toLowerCase().split('.').at(-1) ?? '';
  return IPV4_PART.test(last);
}

function normalizePhone(input: string): PhoneIdentifier {
  if (!PHONE_CHARACTERS.test(input)) {
    throw invalid('a phone number may only contain "+", digits, spaces, dashes, dots and parentheses');
  }
  const number = parsePhoneNumberFromString(input);
  if (!number?.isValid()) {
    throw invalid('not a valid phone number; use international E.164 format, e.g. +14155550123');
  }
  return {
    kind: 'phone',
    value: number.number,
    country: number.country,
    numberType: number.getType(),
    callingCode: number.countryCallingCode,
  };
}

export function chooseChannel(identifier: Identifier, requested?: Channel): Channel {
  // Also reached with unvalidated request bodies, so an unknown string is refused here, not trusted.
  if (requested !== undefined && !CHANNELS.includes(requested)) {
    throw new InvalidRequest('channel', `must be one of ${CHANNELS.join(', ')}`);
  }
  if (identifier.kind === 'email') {
    if (requested !== undefined && requested !== 'email') {
      throw new InvalidRequest(
        'channel',
        `an email address can only receive codes by email, not ${requested}`,
      );
    }
    return 'email';
  }
  if (requested === 'email') {
    throw new InvalidRequest('channel', 'a phone number cannot receive codes by email; use sms or whatsapp');
  }
  return requested ?? 'sms';
}

/**
 * Mail is delivered to the address as typed, but keys fold case: otherwise `Ada@x.com` and
 * `ada@x.com` would be two users, with two rate-limit budgets and two denylist entries.
 */
export function identifierKey(identifier: Identifier): string {
  return `${identifier.kind}#${identifier.kind === 'email' ? identifier.value.toLowerCase() : identifier.value}`;
}

/** Gmail ignores dots in the name, and delivers googlemail.com to the same mailboxes. */
const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The key every abuse rule shares (the denylist, send budgets, the lockout, delivery feedback), so
 * an identifier blocked in one form is blocked in every form its provider delivers to the same
 * place: a `+tag` is dropped for every domain (most providers deliver `a+x@` to `a@`), and for
 * Gmail dots too. Users and sessions keep identifierKey: `a+work@x` remains its own account.
 *
 * A name that is all tag (`+x@example.com`) folds to an empty name: such addresses mostly bounce,
 * and one bounce should stop the lot rather than each costing the sender's reputation in turn.
 * Phone numbers are already canonical (E.164).
 */
export function screeningKey(identifier: Identifier): string {
  if (identifier.kind === 'phone') return identifierKey(identifier);
  const at = identifier.value.lastIndexOf('@');
  let name = identifier.value.slice(0, at).toLowerCase();
  const plus = name.indexOf('+');
  if (plus !== -1) name = name.slice(0, plus);
  if (!GMAIL_DOMAINS.has(identifier.domain)) return `email#${name}@${identifier.domain}`;
  return `email#${name.replaceAll('.', '')}@gmail.com`;
}

/**
 * Safe for API responses and logs. The local part's length is hidden behind a fixed mask; the domain
 * keeps its length (as in "e******.com") but never fewer than three mask characters, so a one-letter
 * domain is not shown in full.
 */
export function maskIdentifier(identifier: Identifier): string {
  if (identifier.kind === 'phone') {
    const national = identifier.value.slice(1 + identifier.callingCode.length);
    const hidden = Math.max(national.length - 2, 1);
    return `+${identifier.callingCode}${MASK.repeat(hidden)}${national.slice(hidden)}`;
  }
  const at = identifier.value.lastIndexOf('@');
  const local = identifier.value.slice(0, at);
  const dot = identifier.domain.lastIndexOf('.');
  const name = identifier.domain.slice(0, dot);
  const tld = identifier.domain.slice(dot + 1);
  return `${local.slice(0, 1)}${MASK.repeat(3)}@${name.slice(0, 1)}${MASK.repeat(Math.max(name.length - 1, 3))}.${tld}`;
}
