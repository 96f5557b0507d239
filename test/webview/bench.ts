// Benchmark (not a test): the cluster grid with 10 000 clusters, and the embedding map with 60 000 points
// (pan/zoom frame times; BENCH_ONLY=map runs that alone), in headless Chromium.
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
import { writeFixtureMap } from './mapFixture';
import { MapModel } from '../../src/extension/panels/mapModel';

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
  const model = new GridModel({
    runDir,
    webviewUri: (d) => `${served.origin}/run/${d.slice(runDir.length + 1)}`,
    save: async () => undefined,
    makeThumbs: async () => undefined,
  });
  t = Date.now();
  // The fixture has 64 thumbnail files; the server maps every index onto them, so all cards have images.
  const initial = {
    ...model.init(),
    thumbBase: process.env.BENCH_NO_THUMBS ? undefined : `${served.origin}/run/thumbs/s64`,
  };
  console.log(
    `host: initial state built in ${Date.now() - t} ms, page ${(panelHtml({ title: '', cspSource: '', scriptUri: '', styleUri: '', initial }).length / 1024).toFixed(0)} KiB, bundle ${(statSync('dist/webview/clusterGrid.js').size / 1024).toFixed(0)} KiB`,
  );
  const ctx = await launch();
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await openPanel(ctx.context, served, {
      panel: 'clusterGrid',
      initial,
      theme: 'dark',
      initScript: FIRST_SCREEN_PROBE,
      host: (m: any) => (m.type === 'ready' ? [] : respond(m, () => model.handle(m, () => undefined))),
    });
    await p.page
      .waitForFunction('window.__firstScreen !== undefined', undefined, { timeout: 60_000 })
      .catch(() => undefined);
    const ms = (await p.page.evaluate('window.__firstScreen')) as number;
    runs.push(ms);
    const cards = await p.page.locator('.vg-card').count();
    if (i === 2) {
      console.log(
        `first screen (navigation start -> visible cards with thumbnails decoded): ${runs.map((r) => r.toFixed(0)).join(', ')} ms (3 loads); DOM cards: ${cards} for ${K} clusters`,
      );
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
        console.log(
          `scroll ${stepPx} px/frame over ${stats.top} px (${f.length} frames): mean ${mean.toFixed(1)} ms (${(1000 / mean).toFixed(0)} fps), median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${f.at(-1)!.toFixed(1)} ms, frames > 33 ms: ${f.filter((x) => x > 33.4).length}; DOM cards: ${stats.cards}`,
        );
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
      console.log(
        `random jumps (scroll + forced layout, 200x): median ${jumps[100]!.toFixed(2)} ms, max ${jumps.at(-1)!.toFixed(2)} ms`,
      );
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

/**
 * The embedding map with 60 000 points: a scripted pan (40 px per frame) and a zoom in and out (wheel events at the
 * centre, one per frame), frame times measured in the page, 300 frames each.
 */
async function mapBench(): Promise<void> {
  const N = 60_000;
  const runDir = mkdtempSync(join(tmpdir(), 'dc-bench-map-'));
  await writeFixtureRun(runDir, { images: N, k: 600, epochs: 1, thumbs: 64, exemplars: 4 });
  writeFixtureMap(runDir, 0, N);
  const served = await serve(runDir, 64);
  const model = new MapModel({
    runDir,
    webviewUri: (d) => `${served.origin}/run/${d.slice(runDir.length + 1)}`,
    save: async () => undefined,
    makeThumbs: async () => undefined,
    compute: async () => undefined,
    cancel: () => false,
  });
  const ctx = await launch();
  const p = await openPanel(ctx.context, served, {
    panel: 'embeddingMap',
    initial: model.init(0),
    theme: 'dark',
    host: (m: any) => (m.type === 'ready' ? [] : respond(m, () => model.handle(m, () => undefined))),
  });
  await p.page.waitForFunction(
    () => Number((document.querySelector('canvas.points') as HTMLCanvasElement).dataset.drawn) > 0,
    undefined,
    { timeout: 60_000 },
  );
  console.log(`map: ${N} points, bundle ${(statSync('dist/webview/embeddingMap.js').size / 1024).toFixed(0)} KiB`);
  for (const kind of ['pan', 'zoom'] as const) {
    await p.page.waitForTimeout(400); // the panel saves its view 200 ms after a gesture; the zoom reads it
    const stats = (await p.page.evaluate(`new Promise((resolve) => {
      const c = document.querySelector('canvas.points');
      const r = c.getBoundingClientRect();
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      // Zoom about the blob at data (0.7, 0), wherever the pan left the view (the view the panel saved).
      const v = window.__dcState.ui.view;
      const zx = cx + (0.7 - v.cx) * v.scale, zy = cy + v.cy * v.scale;
      const frames = [];
      let last = performance.now();
      let i = 0;
      if (${kind === 'pan'}) c.dispatchEvent(new PointerEvent('pointerdown', { clientX: cx, clientY: cy, pointerId: 1, bubbles: true }));
      const step = () => {
        const now = performance.now();
        frames.push(now - last);
        last = now;
        if (frames.length > 300) {
          if (${kind === 'pan'}) c.dispatchEvent(new PointerEvent('pointerup', { clientX: cx, clientY: cy, pointerId: 1, bubbles: true }));
          return resolve({ frames, drawn: Number(c.dataset.drawn) });
        }
        i++;
        if (${kind === 'pan'}) c.dispatchEvent(new PointerEvent('pointermove', { clientX: cx + 200 * Math.sin(i / 20), clientY: cy + 150 * Math.cos(i / 25), pointerId: 1, bubbles: true }));
        else c.dispatchEvent(new WheelEvent('wheel', { clientX: zx, clientY: zy, deltaY: i % 120 < 60 ? -40 : 40, bubbles: true, cancelable: true }));
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    })`)) as { frames: number[]; drawn: number };
    const f = stats.frames.slice(2).sort((a, b) => a - b);
    const mean = f.reduce((a, b) => a + b, 0) / f.length;
    const q = (x: number) => f[Math.min(f.length - 1, Math.floor(x * f.length))]!;
    console.log(
      `map ${kind} (${f.length} frames): mean ${mean.toFixed(1)} ms (${(1000 / mean).toFixed(0)} fps), median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${f.at(-1)!.toFixed(1)} ms; points drawn in the last frame: ${stats.drawn}`,
    );
  }
  if (p.errors.length) console.log('page errors:', p.errors);
  await p.page.close();
  await ctx.close();
  served.server.close();
  rmSync(runDir, { recursive: true, force: true });
}

// BENCH_ONLY=map (or grid) runs one of the two.
const only = process.env.BENCH_ONLY;
void (only === 'map' ? mapBench() : only === 'grid' ? main() : main().then(mapBench));
