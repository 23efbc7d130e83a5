import { describe, expect, it } from '@jest/globals';
import { renderCodeEmail, renderCodeSms } from '../../layers/core/src/messages.ts';

const INPUT = { code: '428193', minutes: 5, productName: 'AuthKit' };

/** GSM 03.38 basic character set (1 septet each) and its extension table (2 septets: escape + char). */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('^{}\\[~]|€\f');

/** Septets in one GSM-7 SMS, or Infinity if the text needs UCS-2 (70 characters per SMS). */
function gsmLength(text: string): number {
  let septets = 0;
  for (const char of text) {
    if (GSM_BASIC.has(char)) septets += 1;
    else if (GSM_EXTENSION.has(char)) septets += 2;
    else return Number.POSITIVE_INFINITY;
  }
  return septets;
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('renderCodeEmail', () => {
  it('keeps the code out of the subject', () => {
    // Act
    const email = renderCodeEmail(INPUT);

    // Assess
    expect(email.subject).toBe('Your AuthKit sign-in code');
    expect(email.subject).not.toContain(INPUT.code);
  });

  it('shows the code exactly once in the text and once in the HTML', () => {
    // Act
    const email = renderCodeEmail(INPUT);

    // Assess
    expect(occurrences(email.text, INPUT.code)).toBe(1);
    expect(occurrences(email.html, INPUT.code)).toBe(1);
  });

  it('states the lifetime', () => {
    // Act
    const email = renderCodeEmail({ ...INPUT, minutes: 10 });

    // Assess
    expect(email.text).toContain('10 minutes');
    expect(email.html).toContain('10 minutes');
  });

  it('escapes the product name in the HTML', () => {
    // Act
    const email = renderCodeEmail({ ...INPUT, productName: '<Acme & Co>' });

    // Assess
    expect(email.html).not.toContain('<Acme');
    expect(email.html).not.toContain('& Co');
    expect(email.html).toContain('&#60;Acme &#38; Co&#62;');
  });

  it('escapes quotes in the product name in the HTML', () => {
    // Act
    const email = renderCodeEmail({ ...INPUT, productName: `"Bob's" shop` });

    // Assess
    expect(email.html).toContain('&#34;Bob&#39;s&#34; shop');
  });
});

describe('renderCodeSms', () => {
  it('contains the code once', () => {
    // Act
    const sms = renderCodeSms(INPUT);

    // Assess
    expect(occurrences(sms, INPUT.code)).toBe(1);
  });

  it.each([
    [6, 5],
    [8, 10],
  ])(
    'fits one GSM-7 SMS (≤ 160 septets) with the default product name, a %i-digit code and %i minutes',
    (digits, minutes) => {
      // Prepare
      const code = '9'.repeat(digits);

      // Act
      const sms = renderCodeSms({ code, minutes, productName: 'AuthKit' });

      // Assess
      expect(gsmLength(sms)).toBeLessThanOrEqual(160);
    },
  );
});
