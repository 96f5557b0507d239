// Benchmark (not a test): the cluster grid with 10 000 clusters in headless Chromium.
//   first screen: navigation start -> every visible card drawn with its thumbnails decoded;
//   scrolling: a scripted scroll through the whole grid, one step per animation frame, frame times measured.
// Usage: npm run bench:webview
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GridModel } from '../../src/extension/panels/gridModel';
import { panelHtml } from '../../src/extension/panels/html';
import { launch, openPanel, respond, serve } from './harness';
import { writeFixtureRun } from './fixture';

// Measured in the page, so the Node side (this process serves files and plays the host) cannot skew it:
// the first animation frame at which 10 or more cards are in view and all their images are decoded.
const FIRST_SCREEN_PROBE = `(() => {
  const check = () => {
    const vp = document.querySelector('.viewport');
    if (vp) {
      const bottom = vp.getBoundingClientRect().bottom;
      const inView = [...document.querySelectorAll('.vg-card:not([hidden])')].filter((c) => c.getBoundingClientRect().top < bottom);
      const imgs = inView.flatMap((c) => [...c.querySelectorAll('img[src]')]);
      if (inView.length >= 10 && inView.every((c) => c.querySelector('.cid').textContent) && imgs.every((i) => i.complete && i.naturalWidth > 0)) return (window.__firstScreen = performance.now());
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();`;

async function main(): Promise<void> {
  const K = 10_000;
  const runDir = mkdtempSync(join(tmpdir(), 'dc-bench-'));
  let t = Date.now();
  await writeFixtureRun(runDir, { images: 60_000, k: K, epochs: 2, thumbs: 64, exemplars: 8 });
  console.log(`fixture: ${K} clusters, 60000 images, written in ${Date.now() - t} ms`);
  const served = await serve(runDir, 64);
  const model = new GridModel({ runDir, webviewUri: (d) => `${served.origin}/run/${d.slice(runDir.length + 1)}`, save: async () => undefined, makeThumbs: async () => undefined });
  t = Date.now();
  // The fixture has 64 thumbnail files; the server maps every index onto them, so all cards have images.
  const initial = { ...model.init(), thumbBase: process.env.BENCH_NO_THUMBS ? undefined : `${served.origin}/run/thumbs/s64` };
  console.log(`host: initial state built in ${Date.now() - t} ms, page ${(panelHtml({ title: '', cspSource: '', scriptUri: '', styleUri: '', initial }).length / 1024).toFixed(0)} KiB, bundle ${(statSync('dist/webview/clusterGrid.js').size / 1024).toFixed(0)} KiB`);
  const ctx = await launch();
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await openPanel(ctx.context, served, { panel: 'clusterGrid', initial, theme: 'dark', initScript: FIRST_SCREEN_PROBE, host: (m: any) => (m.type === 'ready' ? [] : respond(m, () => model.handle(m, () => undefined))) });
    await p.page.waitForFunction('window.__firstScreen !== undefined', undefined, { timeout: 60_000 }).catch(() => undefined);
    const ms = (await p.page.evaluate('window.__firstScreen')) as number;
    runs.push(ms);
    const cards = await p.page.locator('.vg-card').count();
    if (i === 2) {
      console.log(`first screen (navigation start -> visible cards with thumbnails decoded): ${runs.map((r) => r.toFixed(0)).join(', ')} ms (3 loads); DOM cards: ${cards} for ${K} clusters`);
      // Scroll down the grid from the top, one step per animation frame: 100 px (a brisk wheel) and 300 px (a fling).
      for (const stepPx of [100, 300]) {
        const stats = (await p.page.evaluate(`new Promise((resolve) => {
          const vp = document.querySelector('.viewport');
          vp.scrollTop = 0;
          const frames = [];
          let last = performance.now();
          const step = () => {
            const now = performance.now();
            frames.push(now - last);
            last = now;
            if (frames.length > 600) return resolve({ frames, cards: document.querySelectorAll('.vg-card').length, top: vp.scrollTop });
            vp.scrollTop += ${stepPx};
            requestAnimationFrame(step);
          };
          requestAnimationFrame(step);
        })`)) as { frames: number[]; cards: number; top: number };
        const f = stats.frames.slice(2).sort((a, b) => a - b);
        const q = (x: number) => f[Math.min(f.length - 1, Math.floor(x * f.length))]!;
        const mean = f.reduce((a, b) => a + b, 0) / f.length;
        console.log(`scroll ${stepPx} px/frame over ${stats.top} px (${f.length} frames): mean ${mean.toFixed(1)} ms (${(1000 / mean).toFixed(0)} fps), median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${f.at(-1)!.toFixed(1)} ms, frames > 33 ms: ${f.filter((x) => x > 33.4).length}; DOM cards: ${stats.cards}`);
      }
      // Cost of the grid's own work per frame: render() after a jump, without waiting for paint.
      const jumps = (await p.page.evaluate(`(() => {
        const vp = document.querySelector('.viewport');
        const out = [];
        for (let i = 0; i < 200; i++) {
          const t0 = performance.now();
          vp.scrollTop = Math.random() * (vp.scrollHeight - vp.clientHeight);
          vp.dispatchEvent(new Event('scroll'));
          document.querySelector('.vg-card').getBoundingClientRect();
          out.push(performance.now() - t0);
        }
        return out;
      })()`)) as number[];
      jumps.sort((a, b) => a - b);
      console.log(`random jumps (scroll + forced layout, 200x): median ${jumps[100]!.toFixed(2)} ms, max ${jumps.at(-1)!.toFixed(2)} ms`);
      // Re-sorting and filtering the 10 000 cards.
      const sortMs = (await p.page.evaluate(`(() => {
        const s = document.querySelectorAll('vscode-single-select')[0];
        const t0 = performance.now();
        s.value = 'purity';
        s.dispatchEvent(new Event('change'));
        return performance.now() - t0;
      })()`)) as number;
      console.log(`sort 10 000 clusters by purity and redraw: ${sortMs.toFixed(1)} ms`);
      if (p.errors.length) console.log('page errors:', p.errors);
    }
    await p.page.close();
  }
  await ctx.close();
  served.server.close();
  rmSync(runDir, { recursive: true, force: true });
}

void main();
