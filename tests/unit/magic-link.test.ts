/** The magic link's parts that need no table: its token, the browser binding, what start accepts, its email. */
import { describe, expect, it } from '@jest/globals';
import { type Identifier, normalizeIdentifier } from '../../layers/core/src/identifier.ts';
import {
  bindingHolds,
  challengeIdOf,
  codeChallengeOf,
  continueUrl,
  inspectLink,
  linkRequest,
  magicLinkUrl,
  newLinkToken,
} from '../../layers/core/src/magic-link.ts';
import { renderMagicLinkEmail } from '../../layers/core/src/messages.ts';
import type { ChallengeRecord } from '../../layers/core/src/ports.ts';
import { hashToken } from '../../layers/core/src/secrets.ts';
import { systemRandom } from '../../layers/core/src/system.ts';
import { thrownBy } from '../support/thrown.ts';

// RFC 7636, Appendix B.
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('a link token', () => {
  it('names its challenge and carries 256 random bits', () => {
    // Act
    const token = newLinkToken(systemRandom, 'ch_abc');

    // Assess
    const [id, secret] = token.split('.');
    expect(id).toBe('ch_abc');
    expect(Buffer.from(secret ?? '', 'base64url')).toHaveLength(32);
    expect(challengeIdOf(token)).toBe('ch_abc');
  });

  it('is new at every send', () => {
    // Assess
    expect(newLinkToken(systemRandom, 'ch_abc')).not.toBe(newLinkToken(systemRandom, 'ch_abc'));
  });

  it.each([
    ['no secret', 'ch_abc'],
    ['a short secret', `ch_abc.${'A'.repeat(42)}`],
    ['a long secret', `ch_abc.${'A'.repeat(44)}`],
    ['another prefix', `usr_abc.${'A'.repeat(43)}`],
    ['characters outside base64url', `ch_abc.${'A'.repeat(42)}+`],
    ['a second part', `ch_abc.${'A'.repeat(43)}.x`],
  ])('is refused with %s', (_, token) => {
    // Assess
    expect(challengeIdOf(token)).toBeUndefined();
  });

  it('goes in the email as a query of the configured base, and to the app in the fragment only', () => {
    // Prepare
    const token = `ch_abc.${'A'.repeat(43)}`;

    // Act
    const link = magicLinkUrl('https://auth.example.com/live', token);
    const onward = new URL(continueUrl('https://app.example.com/signed-in?from=mail', token));

    // Assess
    expect(link).toBe(`https://auth.example.com/live/v1/auth/magic-link?token=${token}`);
    expect(onward.search).toBe('?from=mail');
    expect(new URLSearchParams(onward.hash.slice(1)).get('token')).toBe(token);
  });
});

describe('the browser binding (PKCE S256)', () => {
  it("computes RFC 7636's code challenge", () => {
    // Assess
    expect(codeChallengeOf(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
  });

  it.each([
    ['the verifier of the challenge', RFC_VERIFIER, true],
    ['another verifier', `${RFC_VERIFIER.slice(0, -1)}Y`, false],
    ['the challenge itself', RFC_CHALLENGE, false],
    ['no verifier', undefined, false],
  ])('holds for %s: %s', (_, verifier, holds) => {
    // Assess
    expect(bindingHolds(RFC_CHALLENGE, verifier)).toBe(holds);
  });
});

describe("start's fields for a magic link", () => {
  const on = {
    magicLinks: { redirectUris: ['https://app.example.com/signed-in', 'http://localhost:5173/'] },
  };
  const ada = normalizeIdentifier('ada@example.com');
  const fields = { redirectUri: 'https://app.example.com/signed-in', codeChallenge: RFC_CHALLENGE };

  it('are taken when the page is allowed, exactly', () => {
    // Assess
    expect(linkRequest(on, ada, fields)).toEqual(fields);
  });

  it.each<[string, typeof on, Identifier, Record<string, string | undefined>, string]>([
    ['with no page allowed (magic links off)', { magicLinks: { redirectUris: [] } }, ada, {}, 'method'],
    ['for a phone number', on, normalizeIdentifier('+14155550123'), {}, 'method'],
    ['by SMS', on, ada, { channel: 'sms' }, 'method'],
    ['without a page', on, ada, { redirectUri: undefined }, 'redirectUri'],
    ['for a page not listed', on, ada, { redirectUri: 'https://evil.example/signed-in' }, 'redirectUri'],
    [
      'for a listed page with more',
      on,
      ada,
      { redirectUri: 'https://app.example.com/signed-in/x' },
      'redirectUri',
    ],
    [
      'for a listed page spelled otherwise',
      on,
      ada,
      { redirectUri: 'https://APP.example.com/signed-in' },
      'redirectUri',
    ],
    ['without a code challenge', on, ada, { codeChallenge: undefined }, 'codeChallenge'],
    [
      'with a plain verifier for a challenge',
      on,
      ada,
      { codeChallenge: RFC_VERIFIER.slice(0, 20) },
      'codeChallenge',
    ],
  ])('are refused %s, naming the field', (_, config, identifier, change, field) => {
    // Act
    const error = thrownBy(() => linkRequest(config, identifier, { ...fields, ...change }));

    // Assess
    expect(error).toMatchObject({ name: 'InvalidRequest', field });
  });
});

describe("a link's page", () => {
  const token = `ch_page.${'B'.repeat(43)}`;
  const record: ChallengeRecord = {
    challengeId: 'ch_page',
    identifierKey: 'email#ada@example.com',
    channel: 'email',
    destination: 'ada@example.com',
    method: 'magic_link',
    link: {
      linkHash: hashToken(token),
      redirectUri: 'https://app.example.com/in',
      codeChallenge: RFC_CHALLENGE,
    },
    codeHash: 'x',
    codeLength: 6,
    status: 'pending',
    attempts: 0,
    sends: 1,
    createdAt: 0,
    lastSentAt: 0,
    expiresAt: 60_000,
  };
  const deps = (redirectUris: string[], found: ChallengeRecord = record) => ({
    store: { find: async (id: string) => (id === found.challengeId ? found : undefined) },
    clock: { now: () => 1_000 },
    config: { code: { maxAttempts: 5 } as never, magicLinks: { redirectUris } },
  });

  it('continues to the page start was given', async () => {
    // Act
    const page = await inspectLink(deps(['https://app.example.com/in']), token);

    // Assess
    expect(page).toEqual({
      open: true,
      continueTo: `https://app.example.com/in#token=${token}`,
      destination: 'a***@e******.com',
      appOrigin: 'app.example.com',
    });
  });

  it.each<[string, string[], ChallengeRecord]>([
    ['the operator removed its page from the allow-list since', ['https://other.example.com/'], record],
    ['its challenge ran out of attempts', ['https://app.example.com/in'], { ...record, attempts: 5 }],
    ['its challenge is a code alone', ['https://app.example.com/in'], { ...record, method: 'otp' }],
    [
      'a resend replaced it',
      ['https://app.example.com/in'],
      { ...record, link: { ...record.link, linkHash: 'new' } as never },
    ],
  ])('is closed once %s', async (_, redirectUris, found) => {
    // Act
    const page = await inspectLink(deps(redirectUris, found), token);

    // Assess
    expect(page).toEqual({ open: false });
  });
});

describe('the magic-link email', () => {
  it('carries the link and the code once each, and neither in its subject', () => {
    // Prepare
    const link = `https://auth.example.com/v1/auth/magic-link?token=ch_abc.${'C'.repeat(43)}`;

    // Act
    const email = renderMagicLinkEmail({ code: '123456', link, minutes: 5, productName: 'AuthKit' });

    // Assess
    expect(email.text.split(link)).toHaveLength(2);
    expect(email.text.split('123456')).toHaveLength(2);
    expect(email.html.split(`href="${link}"`)).toHaveLength(2);
    expect(email.text).toContain('another device? Type this code where you started signing in: 123456');
    expect(email.subject).not.toMatch(/123456|token/);
  });
});
