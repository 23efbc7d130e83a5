/**
 * `GET /_local/app`: a stand-in for the app a developer builds, to try magic links by hand. It asks
 * for an email address, makes the PKCE verifier with WebCrypto and keeps it in localStorage, starts
 * with `redirectUri` = this page, and when the link's page continues here with `#token=…`, posts the
 * token and the verifier to /v1/auth/magic-link/verify and shows who signed in. The code from the
 * same email signs in here too (what someone on another device would do where they started).
 */

/** The page's own address: the local runtime's allow-list holds exactly this (runtime.ts). */
export const LOCAL_APP_PATH = '/_local/app';

const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

// Plain browser JavaScript, inlined: the page must work with no build step.
const SCRIPT = `
const APP = document.body.dataset.app;
// localStorage, not sessionStorage: the link opens in a new tab, whose sessionStorage starts empty.
const KEY = 'authkit.local.magicLink';
const $ = (id) => document.getElementById(id);
const show = (id, text) => { $(id).textContent = text; };
const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const post = async (path, body) => {
  const response = await fetch(path, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => ({})) };
};
const signedIn = (body) => {
  localStorage.removeItem(KEY);
  $('start').hidden = true; $('code').hidden = true;
  show('result', 'Signed in as ' + body.user.identifier + ' (' + body.user.id + ').');
  $('result').className = 'ok';
};

// The verifier is kept per origin: localhost and 127.0.0.1 are two, and only one is allowed.
const elsewhere = location.origin + location.pathname !== APP;
if (elsewhere) location.replace(APP + location.hash);

$('start').addEventListener('submit', async (event) => {
  event.preventDefault();
  const codeVerifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const codeChallenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier)));
  const started = await post('/v1/auth/start', {
    identifier: $('email').value, method: 'magic_link', redirectUri: APP, codeChallenge,
  });
  if (started.status !== 202) return show('result', 'Start answered ' + started.status + ': ' + (started.body.detail || ''));
  localStorage.setItem(KEY, JSON.stringify({ codeVerifier, challengeId: started.body.challengeId }));
  $('code').hidden = false;
  show('result', 'Sent to ' + started.body.destination + '. Open the link from the inbox (/_local/) in this browser, or type the code from the same email below.');
});

$('code').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { challengeId } = JSON.parse(localStorage.getItem(KEY) || '{}');
  const verified = await post('/v1/auth/verify', { challengeId, code: $('digits').value });
  if (verified.status === 200) return signedIn(verified.body);
  show('result', 'That code did not sign in (' + verified.status + ').');
});

const token = new URLSearchParams(location.hash.slice(1)).get('token');
if (token && !elsewhere) {
  // The token is spent or refused either way: keep it out of the address bar and the history.
  history.replaceState(null, '', location.pathname);
  const { codeVerifier } = JSON.parse(localStorage.getItem(KEY) || '{}');
  post('/v1/auth/magic-link/verify', { token, codeVerifier }).then((verified) => {
    if (verified.status === 200) return signedIn(verified.body);
    show('result', 'This link does not sign in in this browser (' + verified.status + ' ' + (verified.body.code || '') +
      '). Open it in the browser where you asked for it, or type the code from the same email there.');
  });
}
`;

export function renderLocalApp(appUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>AuthKit local app</title>
<style>
body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222;line-height:1.5}
form{display:flex;gap:.5rem;margin:1rem 0}input{flex:1;padding:.4rem}#result{margin-top:1rem}.ok{color:#05662b;font-weight:600}
</style></head>
<body data-app="${escapeHtml(appUrl)}">
<h1>Local app</h1>
<p>Plays the app a developer builds: sign in with a magic link, bound to this browser. The messages arrive in the <a href="/_local/">local inbox</a>.</p>
<form id="start"><input id="email" type="email" required placeholder="ada@example.com" autocomplete="email"><button>Email me a sign-in link</button></form>
<form id="code" hidden><input id="digits" inputmode="numeric" pattern="[0-9]{6,8}" placeholder="Code from the same email"><button>Sign in with the code</button></form>
<p id="result" role="status"></p>
<script>${SCRIPT}</script>
</body></html>`;
}
