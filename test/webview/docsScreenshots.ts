// Screenshots of the three panels on a real run (docs/screenshots/), dark and light, through the same harness
// and the real host models. The run needs thumbnails and analysis already made by the trainer, e.g.:
//   node bin/deepcluster.js train --limit 2000 --epochs 4 --k 20 --backend wasm --out /tmp/run-for-panels
//   node bin/deepcluster.js thumbs /tmp/run-for-panels/checkpoints/epoch-0002 --indices 0-1999
//   node bin/deepcluster.js thumbs /tmp/run-for-panels/checkpoints/epoch-0002 --clusters 0-19 --per-cluster 8 --by activation
//   node bin/deepcluster.js visualize /tmp/run-for-panels/checkpoints/epoch-0002 --layer conv2 --filters 0-15
// Usage: tsx test/webview/docsScreenshots.ts RUN EPOCH LAYER [OUT]
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CurvesModel } from '../../src/extension/panels/curvesModel';
import { FiltersModel } from '../../src/extension/panels/filtersModel';
import { GridModel } from '../../src/extension/panels/gridModel';
import { MapModel } from '../../src/extension/panels/mapModel';
import { readEmbeddingMap } from '../../src/runfolder/embeddingMap';
import { launch, openPanel, respond, serve } from './harness';

async function main(): Promise<void> {
  const [run = '/tmp/run-for-panels', epochArg = '2', layer = 'conv2', out = 'docs/screenshots'] =
    process.argv.slice(2);
  const runDir = resolve(run);
  const epoch = Number(epochArg);
  mkdirSync(out, { recursive: true });
  const served = await serve(runDir);
  const url = (p: string) => `${served.origin}/run/${p.slice(runDir.length + 1)}`;
  const none = async () => undefined;
  const grid = new GridModel({ runDir, webviewUri: url, save: none, makeThumbs: none });
  const filters = new FiltersModel({ runDir, webviewUri: url, visualize: none, cancel: () => false, makeThumbs: none });
  const curves = new CurvesModel({ pickRun: none, save: none, isLive: () => false }, [runDir]);
  const ctx = await launch();
  // The embedding map, when the run holds one for this epoch (`deepcluster map RUN`): zoomed out, then zoomed in
  // on the middle with thumbnails and a hovered image. ONLY=map makes just these.
  if (readEmbeddingMap(runDir, epoch, 'umap')) {
    const map = new MapModel({
      runDir,
      webviewUri: url,
      save: none,
      makeThumbs: none,
      compute: none,
      cancel: () => false,
    });
    for (const theme of ['dark', 'light'] as const) {
      const p = await openPanel(ctx.context, served, {
        panel: 'embeddingMap',
        initial: map.init(epoch, { colour: 'label', method: 'umap' }),
        theme,
        host: (m: any) => (m.type === 'ready' ? [] : respond(m, () => map.handle(m as never, () => undefined))),
      });
      await p.page.waitForFunction(
        () => Number((document.querySelector('canvas.points') as HTMLCanvasElement).dataset.drawn) > 0,
      );
      await p.page.screenshot({ path: join(out, `embedding-map-${theme}.png`) });
      if (theme === 'dark') {
        const box = (await p.page.locator('canvas.points').boundingBox())!;
        await p.page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.45);
        for (let i = 0; i < 6; i++) await p.page.mouse.wheel(0, -200);
        await p.page.waitForTimeout(1500);
        await p.page.screenshot({ path: join(out, `embedding-map-zoomed-${theme}.png`) });
      }
      if (p.errors.length) console.log(theme, p.errors);
      await p.page.close();
    }
  }
  for (const theme of process.env.ONLY === 'map' ? [] : (['dark', 'light'] as const)) {
    const host = (model: { handle(m: never, p: () => void): Promise<unknown> }) => (m: any) =>
      m.type === 'ready' ? [] : respond(m, () => model.handle(m as never, () => undefined));
    let p = await openPanel(ctx.context, served, {
      panel: 'clusterGrid',
      initial: grid.init(epoch),
      theme,
      host: host(grid as never),
    });
    await p.page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('.vg-card img[src]')).every((i) => i.complete),
    );
    await p.page.screenshot({ path: join(out, `cluster-grid-${theme}.png`) });
    if (theme === 'dark') {
      await p.page.focus('.viewport');
      await p.page.keyboard.press('Enter');
      await p.page.waitForSelector('.detail:not([hidden]) .member img');
      await p.page.waitForFunction(() =>
        Array.from(document.querySelectorAll<HTMLImageElement>('.member img')).every((i) => i.complete),
      );
      await p.page.screenshot({ path: join(out, `cluster-detail-${theme}.png`) });
      await p.page.keyboard.press('Escape');
      await p.page.evaluate(() => {
        const s = document.querySelectorAll('vscode-single-select')[3] as HTMLElement & { value: string };
        s.value = 'activation';
        s.dispatchEvent(new Event('change'));
      });
      await p.page.waitForTimeout(500);
      await p.page.screenshot({ path: join(out, `cluster-grid-activation-${theme}.png`) });
    }
    await p.page.close();
    p = await openPanel(ctx.context, served, {
      panel: 'filters',
      initial: filters.init(epoch, { layer, from: 0, to: 15 }),
      theme,
      host: host(filters as never),
    });
    await p.page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('.filter img')).every((i) => i.complete),
    );
    await p.page.screenshot({ path: join(out, `filters-${theme}.png`), fullPage: true });
    await p.page.close();
    p = await openPanel(ctx.context, served, {
      panel: 'curves',
      initial: curves.init({ smoothing: 0.3 }),
      theme,
      host: host(curves as never),
    });
    await p.page.waitForSelector('.chart .uplot canvas');
    await p.page.setViewportSize({ width: 1100, height: 1000 });
    await p.page.waitForTimeout(300);
    await p.page.screenshot({ path: join(out, `curves-${theme}.png`), fullPage: true });
    await p.page.setViewportSize({ width: 1100, height: 760 });
    if (p.errors.length) console.log(theme, p.errors);
    await p.page.close();
  }
  await ctx.close();
  served.server.close();
  console.log(`screenshots in ${out}`);
}

void main();
