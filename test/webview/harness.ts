// Renders a panel bundle in Debian's Chromium (playwright-core, never a browser download) the way VS Code would:
// the host's own page (panelHtml, nonce-only CSP), theme variables and body class, and a fake
// acquireVsCodeApi whose postMessage goes to a host function in this Node process. Files are served from a
// local http server standing in for asWebviewUri: /dist -> dist/webview, /run -> the fixture run folder.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { HostMessage, PanelKind } from '../../src/protocol/webview';
import { panelHtml } from '../../src/extension/panels/html';
import { THEMES, type ThemeName } from './themes';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = resolve(__dirname, '../..');
export const ARTIFACTS = join(ROOT, 'test/webview/artifacts');
export const haveChromium = existsSync(CHROMIUM);

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

export interface Served {
  origin: string;
  server: Server;
  /** The panel page to load next (set by openPanel). */
  page?: string;
}

/** A tiny static server: /dist/* and /run/* only, no directory escapes. `thumbModulo` maps thumbs/<i>.png to i % m. */
export async function serve(runDir: string, thumbModulo?: number): Promise<Served> {
  const served: Served = { origin: '', server: undefined as unknown as Server };
  const roots: Record<string, string> = { '/dist/': join(ROOT, 'dist/webview'), '/run/': runDir };
  served.server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (url === '/panel') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(served.page ?? '');
    }
    for (const [prefix, dir] of Object.entries(roots)) {
      if (!url.startsWith(prefix)) continue;
      let rel = url.slice(prefix.length);
      const m = thumbModulo && /^thumbs\/s64\/(\d+)\.png$/.exec(rel);
      if (m) rel = `thumbs/s64/${Number(m[1]) % thumbModulo}.png`;
      const p = normalize(join(dir, rel));
      if (!p.startsWith(dir) || !existsSync(p) || !statSync(p).isFile()) break;
      res.writeHead(200, {
        'content-type': TYPES[extname(p)] ?? 'application/octet-stream',
        'cache-control': 'max-age=3600',
      });
      return res.end(readFileSync(p));
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => served.server.listen(0, '127.0.0.1', r));
  served.origin = `http://127.0.0.1:${(served.server.address() as AddressInfo).port}`;
  return served;
}

export async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'dc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1100, height: 760 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type FakeHost = (msg: any) => Promise<HostMessage[]> | HostMessage[];

export interface OpenOptions {
  panel: PanelKind;
  initial: unknown;
  theme: ThemeName;
  /** What getState() returns at start (a reload with saved state). */
  savedState?: unknown;
  host: FakeHost;
  /** Extra script run before the page's own (e.g. the benchmark's in-page probes). */
  initScript?: string;
}

export interface OpenPanel {
  page: Page;
  /** Every message the webview posted, in order. */
  posted: any[];
  /** Sends a push message (e.g. new metrics) as the host would. */
  push(msg: HostMessage): Promise<void>;
  errors: string[];
}

export async function openPanel(context: BrowserContext, served: Served, o: OpenOptions): Promise<OpenPanel> {
  const nonce = 'test-nonce-' + Math.random().toString(36).slice(2);
  const theme = THEMES[o.theme];
  let html = panelHtml({
    title: o.panel,
    cspSource: served.origin,
    scriptUri: `${served.origin}/dist/${o.panel}.js`,
    styleUri: `${served.origin}/dist/${o.panel}.css`,
    initial: o.initial,
    nonce,
  });
  // What VS Code does: theme variables on <html>, the theme class on <body>.
  const vars = Object.entries(theme.vars)
    .map(([k, v]) => `${k}: ${v};`)
    .join(' ');
  html = html
    .replace('</head>', `<style nonce="${nonce}">html { ${vars} }</style></head>`)
    .replace('<body>', `<body class="${theme.bodyClass}" data-vscode-theme-kind="${theme.bodyClass}">`);
  served.page = html;
  const page = await context.newPage();
  const posted: any[] = [];
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
  });
  await page.exposeFunction('__dcHost', async (msg: unknown) => {
    posted.push(msg);
    return await o.host(msg);
  });
  // A string, not a function: tsx's transpiled functions reference helpers that do not exist in the page.
  await page.addInitScript(`(() => {
    let state = ${JSON.stringify(o.savedState ?? null)} ?? undefined;
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return {
        postMessage: (msg) => { window.__dcHost(msg).then((replies) => replies.forEach((r) => window.postMessage(r, '*'))); },
        getState: () => state,
        setState: (s) => { state = s; window.__dcState = s; },
      };
    };
  })();`);
  if (o.initScript) await page.addInitScript(o.initScript);
  await page.goto(`${served.origin}/panel`);
  return { page, posted, errors, push: (msg) => page.evaluate(`window.postMessage(${JSON.stringify(msg)}, '*')`) };
}

/** Answers a request the way the panel hosts do: one response, ok or error. */
export async function respond(msg: { requestId: number }, fn: () => unknown): Promise<HostMessage[]> {
  try {
    return [{ type: 'response', requestId: msg.requestId, ok: true, body: await fn() }];
  } catch (e) {
    return [{ type: 'response', requestId: msg.requestId, ok: false, error: (e as Error).message }];
  }
}
