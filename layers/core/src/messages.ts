/**
 * What the user receives. Plain, short, and the same shape on every channel; the code appears once
 * per message body and never in a subject line (subjects show on lock screens and in mail logs).
 */
type CodeMessageInput = { code: string; minutes: number; productName: string };

const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderCodeEmail(input: CodeMessageInput): { subject: string; text: string; html: string } {
  const product = escapeHtml(input.productName);
  return {
    subject: `Your ${input.productName} sign-in code`,
    text: [
      `Your ${input.productName} sign-in code is ${input.code}.`,
      '',
      `It expires in ${input.minutes} minutes and can be used once.`,
      "If you didn't try to sign in, you can ignore this email.",
    ].join('\n'),
    html: [
      '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">',
      `<p>Your ${product} sign-in code is</p>`,
      `<p style="font-size:28px;font-weight:600;letter-spacing:4px">${input.code}</p>`,
      `<p>It expires in ${input.minutes} minutes and can be used once.</p>`,
      '<p style="color:#666">If you didn\'t try to sign in, you can ignore this email.</p>',
      '</body></html>',
    ].join(''),
  };
}

type MagicLinkMessageInput = CodeMessageInput & { link: string };

/**
 * A magic link and, beside it, the code of the same send: the link signs in only in the browser
 * that asked for it, so someone reading the email elsewhere types the code there instead.
 */
export function renderMagicLinkEmail(input: MagicLinkMessageInput): {
  subject: string;
  text: string;
  html: string;
} {
  const product = escapeHtml(input.productName);
  const link = escapeHtml(input.link);
  const elsewhere = 'Reading this on another device? Type this code where you started signing in:';
  return {
    subject: `Your ${input.productName} sign-in link`,
    text: [
      `Sign in to ${input.productName}:`,
      input.link,
      '',
      `${elsewhere} ${input.code}`,
      '',
      `The link and the code expire in ${input.minutes} minutes and work once.`,
      "If you didn't try to sign in, you can ignore this email.",
    ].join('\n'),
    html: [
      '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">',
      `<p><a href="${link}" style="display:inline-block;padding:10px 18px;background:#1a56db;color:#fff;border-radius:6px;text-decoration:none">Sign in to ${product}</a></p>`,
      `<p>${elsewhere}</p>`,
      `<p style="font-size:28px;font-weight:600;letter-spacing:4px">${input.code}</p>`,
      `<p>The link and the code expire in ${input.minutes} minutes and work once.</p>`,
      '<p style="color:#666">If you didn\'t try to sign in, you can ignore this email.</p>',
      '</body></html>',
    ].join(''),
  };
}

export function renderCodeSms(input: CodeMessageInput): string {
  return `${input.code} is your ${input.productName} code. It expires in ${input.minutes} min. Don't share it.`;
}

type NoticeInput = { productName: string; minutes: number; scope: 'network' | 'identifier' };

/** Where the pause applies, in the person's terms. */
const pausedWhere = (scope: NoticeInput['scope']) =>
  scope === 'network'
    ? 'from the network they came from'
    : "from anywhere you haven't signed in from recently (where you have, it still works)";

/** Sent once when a lockout block starts: the person learns of the guessing, and that it is handled. */
export function renderLockoutEmail(input: NoticeInput): { subject: string; text: string; html: string } {
  const lines = [
    `Someone entered several wrong ${input.productName} sign-in codes for this address.`,
    `Sign-in ${pausedWhere(input.scope)} is paused for ${input.minutes} minutes.`,
    'If that was you, wait and request a new code. If not, you need to do nothing: codes are only sent to you.',
  ];
  return {
    subject: `Failed ${input.productName} sign-in attempts`,
    text: lines.join('\n\n'),
    html: `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">${lines
      .map((line) => `<p>${escapeHtml(line)}</p>`)
      .join('')}</body></html>`,
  };
}

export function renderLockoutSms(input: NoticeInput): string {
  const where = input.scope === 'network' ? 'from where they were entered' : 'from new places';
  return `${input.productName}: several wrong sign-in codes were entered for this number. Sign-in ${where} is paused for ${input.minutes} min. No action needed.`;
}
