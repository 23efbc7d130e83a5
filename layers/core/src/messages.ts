/**
 * What the user receives. Plain, short, and the same shape on every channel; the code appears once
 * per message body and never in a subject line (subjects show on lock screens and in mail logs).
 */
type CodeMessageInput = { code: string; minutes: number; productName: string; locale?: string | undefined };

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

export function renderCodeSms(input: CodeMessageInput): string {
  return `${input.code} is your ${input.productName} code. It expires in ${input.minutes} min. Don't share it.`;
}
