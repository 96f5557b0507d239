// The embedding map panel in Chromium with the real host model (MapModel) on a fixture run: first paint from the
// embedded map, hover shows the image, shift-drag selects a box whose images are listed and exported, zooming in
// draws thumbnails, Compute runs the trainer job and shows its progress.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { EmbeddingMapFile } from '../../src/protocol/embeddingMap';
import { MapModel } from '../../src/extension/panels/mapModel';
import { readCuration } from '../../src/runfolder/curation';
import { ARTIFACTS, haveChromium, launch, openPanel, respond, serve, type Served } from './harness';
import { writeFixtureRun } from './fixture';
import { writeFixtureMap } from './mapFixture';

const skip = haveChromium ? false : 'needs /usr/bin/chromium (scripts/install-system-deps.sh --test)';
let ctx: { context: BrowserContext; close: () => Promise<void> };
let served: Served;
let runDir: string;
let map: EmbeddingMapFile;
const saves: { name: string; content: string }[] = [];
const thumbJobs: number[][] = [];
let computeJobs = 0;
let model: MapModel;

before(async () => {
  if (skip) return;
  runDir = mkdtempSync(join(tmpdir(), 'dc-map-panel-'));
  await writeFixtureRun(runDir, { images: 2000, k: 24, epochs: 2, thumbs: 2000 });
  map = writeFixtureMap(runDir, 1, 2000);
  served = await serve(runDir);
  model = new MapModel({
    runDir,
    webviewUri: (dir) => `${served.origin}/run/${dir.slice(runDir.length + 1)}`,
    save: async (name, content) => (saves.push({ name, content: content.toString() }), `/saved/${name}`),
    makeThumbs: async (job) => void ('indices' in job && thumbJobs.push(job.indices)),
    compute: async (job, progress) => {
      computeJobs++;
      progress(1, 2, 'layout');
      writeFixtureMap(runDir, job.epoch, 2000, 9);
    },
    cancel: () => false,
  });
  ctx = await launch();
  mkdirSync(ARTIFACTS, { recursive: true });
});
after(async () => {
  if (skip) return;
  await ctx.close();
  served.server.close();
  rmSync(runDir, { recursive: true, force: true });
});

const host = (msg: any) => (msg.type === 'ready' ? [] : respond(msg, () => model.handle(msg, () => undefined)));

/** CSS pixel of a data point inside the stage, from the view the panel saved. */
async function screenOf(p: { page: import('playwright-core').Page }, x: number, y: number): Promise<[number, number]> {
  const { view } = ((await p.page.evaluate('window.__dcState')) as any).ui;
  const box = (await p.page.locator('.stage').boundingBox())!;
  return [box.x + box.width / 2 + (x - view.cx) * view.scale, box.y + box.height / 2 - (y - view.cy) * view.scale];
}

test('map: paints every point, hover shows the image and its cluster, box selection lists and exports', {
  skip,
}, async () => {
  const p = await openPanel(ctx.context, served, {
    panel: 'embeddingMap',
    initial: model.init(1),
    theme: 'dark',
    host,
  });
  await p.page.waitForFunction(
    () => Number((document.querySelector('canvas.points') as HTMLCanvasElement).dataset.drawn) > 0,
  );
  assert.equal(Number(await p.page.getAttribute('canvas.points', 'data-drawn')), 2000);
  assert.match((await p.page.textContent('.caption'))!, /^2,000 images · UMAP of 512-d features/);
  await p.page.waitForFunction(() => (window as any).__dcState?.ui?.view);
  // Hover over image 7: the tooltip names it and shows its thumbnail (made on request).
  const [hx, hy] = await screenOf(p, map.x[7]!, map.y[7]!);
  await p.page.mouse.move(hx, hy);
  await p.page.waitForSelector('.tip:not([hidden]) img[src]');
  const idx = Number(await p.page.getAttribute('.tip', 'data-index'));
  const near = (i: number) => Math.hypot(map.x[i]! - map.x[7]!, map.y[i]! - map.y[7]!);
  assert.ok(near(idx) < 0.02, `hovered #${idx}, ${near(idx)} from #7`);
  assert.equal(
    await p.page.textContent('.tip-text'),
    `#${idx} · cluster ${map.clusters[idx]} · ${['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'][map.labels![idx]!]}`,
  );
  assert.ok((await p.page.getAttribute('.tip img', 'src'))!.endsWith(`/thumbs/s64/${idx}.png`));
  // Shift-drag a box around the blob of label 0 (centred at (0.7, 0)): exactly the points inside are selected.
  const [x0, y0] = await screenOf(p, 0.5, 0.2);
  const [x1, y1] = await screenOf(p, 0.9, -0.2);
  await p.page.keyboard.down('Shift');
  await p.page.mouse.move(x0, y0);
  await p.page.mouse.down();
  await p.page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2);
  await p.page.mouse.move(x1, y1);
  await p.page.mouse.up();
  await p.page.keyboard.up('Shift');
  const [a, b] = await Promise.all([screenOf(p, 0, 0), screenOf(p, 1, 1)]);
  const scale = b[0] - a[0];
  // The box in data units, as the panel computes it from the pixels the mouse went through.
  const inBox = (i: number) =>
    map.x[i]! >= 0.5 - 1 / scale &&
    map.x[i]! <= 0.9 + 1 / scale &&
    map.y[i]! >= -0.2 - 1 / scale &&
    map.y[i]! <= 0.2 + 1 / scale;
  const expected = map.x.map((_, i) => i).filter(inBox);
  const sure = map.x
    .map((_, i) => i)
    .filter((i) => map.x[i]! >= 0.51 && map.x[i]! <= 0.89 && map.y[i]! >= -0.19 && map.y[i]! <= 0.19);
  const count = Number((await p.page.textContent('.sel-count'))!.split(' ')[0]!.replace(/,/g, ''));
  assert.ok(
    count >= sure.length && count <= expected.length,
    `selected ${count}, expected ${sure.length}-${expected.length}`,
  );
  assert.ok(sure.length > 150);
  assert.equal(await p.page.locator('.sel-item').count(), 100);
  assert.match((await p.page.textContent('.sel-list .more'))!, new RegExp(`and ${count - 100} more`));
  await p.page.waitForFunction(() => document.querySelector('.sel-item .name')?.textContent);
  // Export: the host gets the selected indices (never a path) and writes index, path, cluster, label.
  saves.length = 0;
  await p.page.click('.side-head button:first-of-type');
  for (let i = 0; i < 100 && saves.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  const exp = p.posted.find((m) => m.type === 'exportSelection');
  assert.equal(exp.indices.length, count);
  for (const i of exp.indices) assert.equal(map.labels![i], 0);
  const lines = saves[0]!.content.trim().split('\n');
  assert.equal(lines[0], 'index,path,cluster,label');
  assert.equal(lines.length, count + 1);
  const [i0, , c0, l0] = lines[1]!.split(',');
  assert.equal(Number(c0), map.clusters[Number(i0)]);
  assert.equal(l0, 'T-shirt/top');
  await p.page.screenshot({ path: join(ARTIFACTS, 'embedding-map-selection-dark.png') });
  // Curation from the map: the selection moves to cluster 3 in curation.json, and the panel shows it there.
  await p.page.fill('.move-to', '3');
  await p.page.click('.move-btn');
  await p.page.waitForFunction(() => /moved \d+ image/.test(document.querySelector('.status')?.textContent ?? ''));
  const cur = readCuration(runDir)!;
  assert.equal(cur.epoch, 1);
  assert.deepEqual(
    Object.keys(cur.moves)
      .map(Number)
      .sort((a, b) => a - b),
    [...exp.indices].sort((a: number, b: number) => a - b),
  );
  assert.ok(Object.values(cur.moves).every((c) => c === 3));
  assert.match((await p.page.textContent('.sel-item'))!, /cluster 3/);
  await p.page.fill('.move-to', '999');
  await p.page.click('.move-btn');
  await p.page.waitForFunction(() => /no cluster 999/.test(document.querySelector('.status')?.textContent ?? ''));
  // Escape clears the selection.
  await p.page.focus('canvas.points');
  await p.page.keyboard.press('Escape');
  assert.equal(await p.page.textContent('.sel-count'), 'No selection');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('map: zooming in draws thumbnails; colour by label shows the legend; saved view survives a reload', {
  skip,
}, async () => {
  const p = await openPanel(ctx.context, served, {
    panel: 'embeddingMap',
    initial: model.init(1),
    theme: 'light',
    host,
  });
  await p.page.waitForFunction(() => (window as any).__dcState?.ui?.view);
  assert.equal(await p.page.getAttribute('.overlay', 'data-thumbs'), '0');
  const [cx, cy] = await screenOf(p, map.x[3]!, map.y[3]!);
  await p.page.mouse.move(cx, cy);
  for (let i = 0; i < 12; i++) await p.page.mouse.wheel(0, -200);
  await p.page.waitForFunction(
    () => Number(document.querySelector('.overlay')!.getAttribute('data-thumbs')) > 0,
    undefined,
    { timeout: 10_000 },
  );
  await p.page.selectOption('select.colour', 'label');
  assert.equal(await p.page.locator('.legend .lg').count(), 10);
  await new Promise((r) => setTimeout(r, 300));
  const savedState = await p.page.evaluate('window.__dcState');
  await p.page.screenshot({ path: join(ARTIFACTS, 'embedding-map-zoomed-light.png') });
  await p.page.close();
  const again = await openPanel(ctx.context, served, {
    panel: 'embeddingMap',
    initial: model.init(1),
    theme: 'light',
    host,
    savedState,
  });
  await again.page.waitForFunction(
    () => Number(document.querySelector('.overlay')!.getAttribute('data-thumbs')) > 0,
    undefined,
    { timeout: 10_000 },
  );
  assert.equal(await again.page.inputValue('select.colour'), 'label');
  assert.deepEqual([...p.errors, ...again.errors], []);
  await again.page.close();
});

test('map: without a cached map, Compute runs the trainer job and draws the result', { skip }, async () => {
  rmSync(join(runDir, 'maps'), { recursive: true, force: true });
  const p = await openPanel(ctx.context, served, {
    panel: 'embeddingMap',
    initial: model.init(0),
    theme: 'dark',
    host,
  });
  await p.page.waitForSelector('.empty:not([hidden])');
  assert.match((await p.page.textContent('.empty'))!, /No UMAP map of epoch 0 yet/);
  await p.page.click('button.compute');
  await p.page.waitForFunction(
    () => Number((document.querySelector('canvas.points') as HTMLCanvasElement).dataset.drawn) === 2000,
  );
  assert.equal(computeJobs, 1);
  assert.ok(p.posted.some((m) => m.type === 'compute' && m.epoch === 0 && m.method === 'umap'));
  assert.deepEqual(p.errors, []);
  await p.page.close();
});
