/** `GET /_local/`: the developer's inbox as a page. Everything is escaped; HTML mail renders sandboxed. */
import type { OutboxMessage } from './outbox.ts';

const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** Links in a message's text, clickable, so a magic link opens from the inbox as from a mail client. */
const linkify = (escaped: string): string =>
  escaped.replace(/https?:\/\/[^\s<"]+/g, (url) => `<a href="${url}" rel="noreferrer">${url}</a>`);

export function renderInbox(messages: OutboxMessage[], filter: string | undefined): string {
  const rows = messages
    .map(
      (m) => `<article>
  <header><span class="channel ${m.channel}">${m.channel}</span> <strong>${escapeHtml(m.to)}</strong>
  <time datetime="${m.sentAt}">${escapeHtml(m.sentAt.replace('T', ' ').slice(0, 19))}</time></header>
  ${m.subject ? `<h2>${escapeHtml(m.subject)}</h2>` : ''}
  <pre>${linkify(escapeHtml(m.text))}</pre>
  ${m.html ? `<details><summary>HTML</summary><iframe sandbox="" srcdoc="${escapeHtml(m.html)}"></iframe></details>` : ''}
</article>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>AuthKit local inbox</title>
<style>
body{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;padding:0 1rem;color:#222}
form{display:flex;gap:.5rem;margin-bottom:1.5rem}input{flex:1;padding:.4rem}
article{border:1px solid #ddd;border-radius:8px;padding:.75rem 1rem;margin-bottom:1rem}
header{display:flex;gap:.75rem;align-items:center}time{margin-left:auto;color:#777;font-size:.85rem}
h2{font-size:1rem;margin:.5rem 0}pre{white-space:pre-wrap;font-size:.95rem;margin:.5rem 0}
.channel{font-size:.75rem;text-transform:uppercase;padding:.1rem .4rem;border-radius:4px;background:#eef}
.sms{background:#efe}.whatsapp{background:#dfd}iframe{width:100%;height:260px;border:1px solid #eee}
</style></head><body>
<h1>Local inbox</h1>
<p>Every email, SMS and WhatsApp message AuthKit sent from this machine, newest first. JSON: <a href="/_local/messages">/_local/messages</a>.</p>
<form method="get" action="/_local/"><input name="to" placeholder="Filter by recipient (email or +E.164)" value="${escapeHtml(filter ?? '')}"><button>Filter</button></form>
${rows || '<p>No messages yet. Start a sign-in with <code>POST /v1/auth/start</code>.</p>'}
</body></html>`;
}
