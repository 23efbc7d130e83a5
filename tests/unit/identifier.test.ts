import { describe, expect, it } from '@jest/globals';
import {
  type Channel,
  chooseChannel,
  type Identifier,
  identifierKey,
  maskIdentifier,
  normalizeIdentifier,
  screeningKey,
} from '../../layers/core/src/identifier.ts';

const DEMO_PHONE = '+14155550123';

function rejection(act: () => unknown): { name: string; field: string; message: string } {
  try {
    act();
  } catch (error) {
    return error as { name: string; field: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('normalizeIdentifier', () => {
  describe('email addresses', () => {
    it('trims surrounding whitespace', () => {
      // Prepare
      const raw = '  alice@example.com  ';

      // Act
      const identifier = normalizeIdentifier(raw);

      // Assess
      expect(identifier).toEqual({ kind: 'email', value: 'alice@example.com', domain: 'example.com' });
    });

    it('lower-cases the domain but keeps the local part', () => {
      // Act
      const identifier = normalizeIdentifier('Alice.Smith@Example.COM');

      // Assess
      expect(identifier).toEqual({ kind: 'email', value: 'Alice.Smith@example.com', domain: 'example.com' });
    });

    it.each([
      ['user@bücher.example', 'user@xn--bcher-kva.example'],
      ['user@BÜCHER.Example', 'user@xn--bcher-kva.example'],
      ['x@例え.テスト', 'x@xn--r8jz45g.xn--zckzah'],
    ])('converts the internationalised domain in %s to punycode', (raw, expected) => {
      // Act
      const identifier = normalizeIdentifier(raw);

      // Assess
      expect(identifier.value).toBe(expected);
    });

    it.each([
      ['an "="', 'ada=lovelace@example.com'],
      ['a "?"', 'ada?@example.com'],
      ['"?" before "="', 'ada?=x@example.com'],
    ])('accepts %s in the local part: only the sequence "=?" opens an encoded word', (_case, raw) => {
      // Act
      const identifier = normalizeIdentifier(raw);

      // Assess
      expect(identifier.value).toBe(raw);
    });

    it('accepts a local part of exactly 64 characters', () => {
      // Prepare
      const raw = `${'a'.repeat(64)}@example.com`;

      // Act
      const identifier = normalizeIdentifier(raw);

      // Assess
      expect(identifier.value).toBe(raw);
    });

    it.each([
      ['CR/LF header injection', 'a@b.com\r\nBcc: x@y.com'],
      ['a bare LF', 'a@b.com\nBcc: x@y.com'],
      ['a trailing CRLF that trimming would hide', 'a@b.com\r\n'],
      ['NUL', 'a\u0000@b.com'],
      ['a tab', 'a@b.com\t'],
      ['DEL', 'a\u007f@b.com'],
      ['a C1 control (NEL)', 'a@b.com\u0085'],
      ['a Unicode line separator', 'a@b.com\u2028'],
      ['a Unicode paragraph separator', 'a@b.com\u2029'],
    ])('rejects %s', (_case, raw) => {
      // Act
      const error = rejection(() => normalizeIdentifier(raw));

      // Assess
      expect(error).toMatchObject({ name: 'InvalidRequest', field: 'identifier' });
      expect(error.message).toMatch(/control characters/);
    });

    it.each([
      ['two @', 'a@b@example.com', /exactly one "@"/],
      ['an empty local part', '@example.com', /name before the "@"/],
      ['an empty domain', 'alice@', /domain after the "@"/],
      ['a domain without a dot', 'alice@localhost', /must contain a dot/],
      ['a label starting with a hyphen', 'alice@-example.com', /invalid part "-example"/],
      ['a label ending with a hyphen', 'alice@example-.com', /invalid part "example-"/],
      ['an underscore in the domain', 'alice@ex_ample.com', /letters, digits, dots and hyphens/],
      ['a 64-character label', `alice@${'a'.repeat(64)}.com`, /1 to 63/],
      ['two dots in the domain', 'alice@example..com', /two dots in a row/],
      ['a trailing dot in the domain', 'alice@example.com.', /end with a dot/],
      ['an all-numeric TLD', 'alice@example.123', /IP addresses/],
      ['an IPv4 address', 'alice@192.168.0.1', /IP addresses/],
      ['a hexadecimal IPv4 address', 'alice@0x7f.1', /IP addresses/],
      ['a full-width IPv4 address', 'alice@１９２.１６８.０.１', /IP addresses/],
      ['an IP literal', 'alice@[192.168.0.1]', /IP address literals/],
      ['a percent-encoded domain', 'alice@ex%61mple.com', /letters, digits, dots and hyphens/],
      ['a URL path after the domain', 'alice@example.com/evil', /letters, digits, dots and hyphens/],
      ['a space in the domain', 'alice@exa mple.com', /letters, digits, dots and hyphens/],
      ['a 65-character local part', `${'a'.repeat(65)}@example.com`, /at most 64/],
      ['a space in the local part', 'ali ce@example.com', /no spaces/],
      ['quotes in the local part', '"alice"@example.com', /quotes/],
      ['angle brackets', 'Alice <alice@example.com>', /brackets/],
      ['a comma in the local part', 'alice,bob@example.com', /commas/],
      ['a semicolon in the local part', 'alice;bob@example.com', /semicolons/],
      ['a backslash in the local part', 'ali\\ce@example.com', /backslashes/],
      ['a leading dot in the local part', '.alice@example.com', /start or end with a dot/],
      ['a trailing dot in the local part', 'alice.@example.com', /start or end with a dot/],
      ['two dots in the local part', 'ali..ce@example.com', /two dots in a row/],
      ['a domain over 253 characters', `a@${`${'a'.repeat(63)}.`.repeat(4)}com`, /at most 253/],
      [
        'an address over 254 characters',
        `${'a'.repeat(64)}@${`${'b'.repeat(60)}.`.repeat(3)}${'c'.repeat(9)}.com`,
        /at most 254/,
      ],
    ])('rejects %s', (_case, raw, detail) => {
      // Act
      const error = rejection(() => normalizeIdentifier(raw));

      // Assess
      expect(error).toMatchObject({ name: 'InvalidRequest', field: 'identifier' });
      expect(error.message).toMatch(detail);
    });
  });

  describe('email addresses a mail system could deliver to another mailbox', () => {
    it.each([
      [
        'an RFC 2047 Q-encoded word',
        '=?utf-8?q?victim=40example.com?=@attacker.example',
        /"=\?".*encoded words/,
      ],
      ['an RFC 2047 B-encoded word', '=?utf-8?b?dmljdGltQGV4YW1wbGUuY29t?=@attacker.example', /"=\?"/],
      ['an encoded word after a name', 'ada=?x?q?y?=@attacker.example', /"=\?"/],
      ['a bare "=?"', 'ada=?@example.com', /"=\?"/],
      ['"%" source routing', 'victim%example.com@relay.example', /"%".*source routing/],
      ['a "%" anywhere', 'ada%@example.com', /"%"/],
      ['a UUCP bang path', 'host!user@relay.example', /"!".*bang paths/],
      ['a "!" anywhere', 'ada!@example.com', /"!"/],
      ['a quoted local part', '"victim"@attacker.example', /quotes/],
      ['a quoted local part hiding an "@"', '"victim@example.com"@attacker.example', /exactly one "@"/],
    ])('rejects %s', (_case, raw, detail) => {
      // Act
      const error = rejection(() => normalizeIdentifier(raw));

      // Assess
      expect(error).toMatchObject({ name: 'InvalidRequest', field: 'identifier' });
      expect(error.message).toMatch(detail);
    });
  });

  describe('phone numbers', () => {
    it.each([[DEMO_PHONE], ['+1 (415) 555-0123'], ['+1.415.555.0123'], ['  +1 415 555 0123  ']])(
      'normalises %s to E.164 with its country, type and calling code',
      (raw) => {
        // Act
        const identifier = normalizeIdentifier(raw);

        // Assess
        expect(identifier).toEqual({
          kind: 'phone',
          value: DEMO_PHONE,
          country: 'US',
          numberType: 'FIXED_LINE_OR_MOBILE',
          callingCode: '1',
        });
      },
    );

    it('reports the number type from the full metadata', () => {
      // Act
      const identifier = normalizeIdentifier('+49 151 23456789');

      // Assess
      expect(identifier).toMatchObject({ value: '+4915123456789', country: 'DE', numberType: 'MOBILE' });
    });

    it.each([
      ['too short', '+123', /not a valid phone number/],
      ['too long', '+1415555012345', /not a valid phone number/],
      ['in an unassigned range', '+44 7700 900123', /not a valid phone number/],
      ['with an extension', '+1 415 555 0123 ext 5', /may only contain/],
      ['with letters', '+1 800 FLOWERS', /may only contain/],
      ['without a leading +', '14155550123', /email address or a phone number in international E\.164/],
      ['in national format', '(415) 555-0123', /email address or a phone number in international E\.164/],
    ])('rejects a number %s', (_case, raw, detail) => {
      // Act
      const error = rejection(() => normalizeIdentifier(raw));

      // Assess
      expect(error).toMatchObject({ name: 'InvalidRequest', field: 'identifier' });
      expect(error.message).toMatch(detail);
    });
  });

  it.each([
    ['an empty string', '', /must not be empty/],
    ['only whitespace', '   ', /must not be empty/],
    ['more than 320 characters', `${'a'.repeat(300)}@${'b'.repeat(30)}.com`, /at most 320/],
    ['a plain word', 'alice', /email address or a phone number/],
  ])('rejects %s', (_case, raw, detail) => {
    // Act
    const error = rejection(() => normalizeIdentifier(raw));

    // Assess
    expect(error).toMatchObject({ name: 'InvalidRequest', field: 'identifier' });
    expect(error.message).toMatch(detail);
  });
});

describe('chooseChannel', () => {
  const email = normalizeIdentifier('alice@example.com');
  const phone = normalizeIdentifier(DEMO_PHONE);

  it.each<[string, Identifier, Channel | undefined, Channel]>([
    ['email by default for an email address', email, undefined, 'email'],
    ['email when an email address asks for email', email, 'email', 'email'],
    ['sms by default for a phone number', phone, undefined, 'sms'],
    ['sms when a phone number asks for sms', phone, 'sms', 'sms'],
    ['whatsapp when a phone number asks for whatsapp', phone, 'whatsapp', 'whatsapp'],
  ])('chooses %s', (_case, identifier, requested, expected) => {
    // Act
    const channel = chooseChannel(identifier, requested);

    // Assess
    expect(channel).toBe(expected);
  });

  it.each<[string, Identifier, string]>([
    ['sms for an email address', email, 'sms'],
    ['whatsapp for an email address', email, 'whatsapp'],
    ['email for a phone number', phone, 'email'],
    ['an unknown channel', phone, 'pigeon'],
  ])('rejects %s', (_case, identifier, requested) => {
    // Act
    const error = rejection(() => chooseChannel(identifier, requested as Channel));

    // Assess
    expect(error).toMatchObject({ name: 'InvalidRequest', field: 'channel' });
  });
});

describe('identifierKey', () => {
  it.each([
    ['Alice@Example.COM', 'email#alice@example.com'],
    ['+1 (415) 555-0123', 'phone#+14155550123'],
  ])('keys %s by its kind and case-folded normalised value', (raw, expected) => {
    // Act
    const key = identifierKey(normalizeIdentifier(raw));

    // Assess
    expect(key).toBe(expected);
  });
});

describe('screeningKey', () => {
  it.each([
    ['f.o.o+x@googlemail.com', 'email#foo@gmail.com'],
    ['Foo.Bar@GMail.com', 'email#foobar@gmail.com'],
    ['foo+a+b@gmail.com', 'email#foo@gmail.com'],
    ['a.+x@gmail.com', 'email#a@gmail.com'],
    ['A+1@Example.com', 'email#a@example.com'],
    ['f.o.o+x@example.com', 'email#f.o.o@example.com'],
    ['f.o.o@mail.gmail.com.example', 'email#f.o.o@mail.gmail.com.example'],
    ['+x@gmail.com', 'email#@gmail.com'],
    ['+x@example.com', 'email#@example.com'],
    ['+1 (415) 555-0123', 'phone#+14155550123'],
  ])('folds %s to %s', (raw, expected) => {
    // Act & Assess
    expect(screeningKey(normalizeIdentifier(raw))).toBe(expected);
  });

  it('leaves the account key as typed (but lower-cased)', () => {
    // Prepare
    const identifier = normalizeIdentifier('F.o.o+X@googlemail.com');

    // Act & Assess
    expect(identifierKey(identifier)).toBe('email#f.o.o+x@googlemail.com');
    expect(identifier.value).toBe('F.o.o+X@googlemail.com');
  });

  it.each(['"foo bar"@gmail.com', '"+x"@example.com'])('is never reached by a quoted name (%s)', (raw) => {
    // Act & Assess
    expect(() => normalizeIdentifier(raw)).toThrow(/no spaces, quotes/);
  });
});

describe('maskIdentifier', () => {
  it.each([
    ['alice@example.com', 'a***@e******.com'],
    ['a@b.co', 'a***@b***.co'],
    ['alice@mail.example.org', 'a***@m***********.org'],
    [DEMO_PHONE, '+1********23'],
    ['+49 151 23456789', '+49*********89'],
  ])('masks %s as %s', (raw, expected) => {
    // Prepare
    const identifier = normalizeIdentifier(raw);

    // Act
    const masked = maskIdentifier(identifier);

    // Assess
    expect(masked).toBe(expected);
    expect(masked).not.toContain(identifier.value);
  });

  it('never reveals the local part beyond its first character', () => {
    // Prepare
    const identifier = normalizeIdentifier('secret.name@example.com');

    // Act
    const masked = maskIdentifier(identifier);

    // Assess
    expect(masked).not.toContain('secret');
    expect(masked).not.toContain('name');
  });
});
