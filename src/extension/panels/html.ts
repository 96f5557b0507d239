// The page every panel loads: a nonce-only CSP, the panel's bundle and css, and its initial state embedded as
// JSON so the first paint needs no round trip. Plain strings, no vscode: the Chromium tests render the same page.
import { randomBytes } from 'node:crypto';
import { INITIAL_STATE_ID } from '../../protocol/webview';

export interface PageParts {
  title: string;
  /** webview.cspSource (the origin asWebviewUri URLs have). */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  initial: unknown;
  nonce?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that cannot close the script element it sits in, nor start an HTML comment. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  // Scripts only with this render's nonce; images only from the panel's roots through asWebviewUri;
  // styles from the extension (Lit's constructed stylesheets are not subject to style-src).
  return [
    `default-src 'none'`,
    `img-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function panelHtml(p: PageParts): string {
  const nonce = p.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(p.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(p.title)}</title>
<link rel="stylesheet" nonce="${nonce}" href="${escapeHtml(p.styleUri)}">
</head>
<body>
<script type="application/json" id="${INITIAL_STATE_ID}" nonce="${nonce}">${embedJson(p.initial)}</script>
<script nonce="${nonce}" src="${escapeHtml(p.scriptUri)}"></script>
</body>
</html>`;
}
