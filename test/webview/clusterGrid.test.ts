import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { GridModel } from '../../src/extension/panels/gridModel';
import { ARTIFACTS, haveChromium, launch, openPanel, respond, serve, type Served } from './harness';
import { writeFixtureRun } from './fixture';

const skip = haveChromium ? false : 'needs /usr/bin/chromium (scripts/install-system-deps.sh --test)';
let ctx: { context: BrowserContext; close: () => Promise<void> };
let served: Served;
let runDir: string;
const saves: { name: string; content: string }[] = [];
let model: GridModel;

before(async () => {
  if (skip) return;
  runDir = mkdtempSync(join(tmpdir(), 'dc-grid-'));
  await writeFixtureRun(runDir, { images: 400, k: 24, epochs: 3, thumbs: 400 });
  served = await serve(runDir);
  model = new GridModel({
    runDir,
    webviewUri: (dir) => `${served.origin}/run/${dir.slice(runDir.length + 1)}`,
    save: async (name, content) => (saves.push({ name, content: content.toString() }), `/saved/${name}`),
    makeThumbs: async () => undefined,
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

test('cluster grid: first paint from the embedded state, sorted by size, thumbnails as files', { skip }, async () => {
  const p = await openPanel(ctx.context, served, { panel: 'clusterGrid', initial: model.init(), theme: 'dark', host });
  await p.page.waitForSelector('.vg-card:not([hidden]) .cid');
  assert.equal(await p.page.textContent('.count'), '24 of 24 clusters');
  const sizes = await p.page.$$eval('.vg-card:not([hidden])', (els) =>
    els
      .sort((a, b) => Number((a as HTMLElement).dataset.pos) - Number((b as HTMLElement).dataset.pos))
      .map((e) => Number(e.querySelector('.csize')!.textContent!.split(' ')[0])),
  );
  assert.ok(sizes.length >= 8, `cards rendered: ${sizes.length}`);
  assert.deepEqual(
    sizes,
    [...sizes].sort((a, b) => b - a),
    'largest first',
  );
  // Thumbnails are URLs of files under the run folder, and they load (naturalWidth 28).
  await p.page.waitForFunction(() =>
    [...document.querySelectorAll<HTMLImageElement>('.vg-card img.thumb')]
      .slice(0, 8)
      .every((i) => i.complete && i.naturalWidth === 28),
  );
  const src = await p.page.getAttribute('.vg-card img.thumb', 'src');
  assert.match(src!, /\/run\/thumbs\/s64\/\d+\.png$/);
  assert.ok(p.posted.some((m) => m.type === 'ready'));
  assert.equal(p.posted.filter((m) => m.type === 'loadEpoch').length, 0, 'no round trip for the first paint');
  assert.deepEqual(p.errors, []);
  await p.page.screenshot({ path: join(ARTIFACTS, 'cluster-grid-dark.png') });
  await p.page.close();
});

test('cluster grid: sort by id, filter by label and size, search, keyboard opens the paged detail with distances, export', {
  skip,
}, async () => {
  const p = await openPanel(ctx.context, served, { panel: 'clusterGrid', initial: model.init(), theme: 'light', host });
  await p.page.waitForSelector('.vg-card:not([hidden]) .cid');
  await p.page.screenshot({ path: join(ARTIFACTS, 'cluster-grid-light.png') });
  // Sort by id through the vscode-single-select (set value + change, as a user pick does).
  await p.page.evaluate(() => {
    const s = document.querySelectorAll('vscode-single-select')[0] as any;
    s.value = 'id';
    s.dispatchEvent(new Event('change'));
  });
  assert.equal(await p.page.textContent('.vg-card[data-pos="0"] .cid'), '#23', 'descending ids');
  // Search by label name.
  await p.page.evaluate(() => {
    const t = document.querySelector('vscode-textfield.search') as any;
    t.value = 'trouser';
    t.dispatchEvent(new Event('input'));
  });
  const labels = await p.page.$$eval('.vg-card:not([hidden]) .plabel', (els) => els.map((e) => e.textContent));
  assert.ok(labels.length > 0 && labels.every((l) => /Trouser/.test(l!)), JSON.stringify(labels));
  // Min size filter hides everything above the largest.
  await p.page.evaluate(() => {
    const t = document.querySelector('vscode-textfield.search') as any;
    t.value = '';
    t.dispatchEvent(new Event('input'));
    const n = document.querySelector('vscode-textfield.num') as any;
    n.value = '100000';
    n.dispatchEvent(new Event('input'));
  });
  assert.equal(await p.page.textContent('.count'), '0 of 24 clusters');
  await p.page.evaluate(() => {
    const n = document.querySelector('vscode-textfield.num') as any;
    n.value = '0';
    n.dispatchEvent(new Event('input'));
  });
  // Keyboard: focus the grid, move right, open with Enter.
  await p.page.focus('.viewport');
  await p.page.keyboard.press('ArrowRight');
  const focused = await p.page.getAttribute('.viewport', 'aria-activedescendant');
  assert.equal(focused, 'card-22');
  await p.page.keyboard.press('Enter');
  await p.page.waitForSelector('.detail:not([hidden]) .member');
  assert.match((await p.page.textContent('.detail h2'))!, /Cluster #22/);
  const captions = await p.page.$$eval('.member figcaption', (els) => els.map((e) => e.textContent));
  const size = (
    await model.handle({ type: 'members', requestId: 0, epoch: 2, cluster: 22, offset: 0, limit: 1 }, () => undefined)
  ).total;
  assert.equal(captions.length, Math.min(size, 120));
  const d = captions.slice(0, 16).map((c) => Number(/d (\S+)/.exec(c!)![1]));
  assert.deepEqual(
    d,
    [...d].sort((a, b) => a - b),
    'nearest first',
  );
  assert.match((await p.page.textContent('.pager .muted'))!, new RegExp(`of ${size}`));
  // Follow across epochs: the slider lists all 3 checkpoints.
  assert.equal(await p.page.getAttribute('input.follow', 'max'), '2');
  await p.page.screenshot({ path: join(ARTIFACTS, 'cluster-detail-light.png') });
  // Export this cluster as CSV: the host gets a request naming epoch and cluster, never a path.
  saves.length = 0;
  await p.page.click('.detail-head vscode-button:nth-of-type(1)');
  await p.page.waitForFunction(() => true);
  for (let i = 0; i < 50 && saves.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  const exp = p.posted.find((m) => m.type === 'export');
  assert.deepEqual(
    { epoch: exp.epoch, clusters: exp.clusters, format: exp.format },
    { epoch: 2, clusters: [22], format: 'csv' },
  );
  assert.equal(saves[0]!.content.trim().split('\n').length, size + 1);
  // Esc closes; state was saved for a reload.
  await p.page.keyboard.press('Escape');
  assert.equal(await p.page.isHidden('.detail'), true);
  const saved = await p.page.evaluate(() => (window as any).__dcState);
  assert.equal(saved.ui.sort, 'id');
  assert.equal(saved.runDir, runDir);
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('cluster grid: the epoch slider loads another checkpoint; saved state restores sort and open detail', {
  skip,
}, async () => {
  const p = await openPanel(ctx.context, served, {
    panel: 'clusterGrid',
    initial: model.init(),
    theme: 'dark',
    host,
    savedState: {
      runDir,
      epoch: 0,
      ui: { sort: 'id', descending: false, minSize: 0, label: -1, search: '', view: 'nearest', detail: 5 },
    },
  });
  await p.page.waitForSelector('.detail:not([hidden]) .member');
  assert.match((await p.page.textContent('.detail h2'))!, /Cluster #5/);
  assert.match((await p.page.textContent('.detail-head .muted'))!, /epoch 0/);
  assert.ok(p.posted.some((m) => m.type === 'loadEpoch' && m.epoch === 0));
  await p.page.keyboard.press('Escape');
  assert.equal(await p.page.textContent('.vg-card[data-pos="0"] .cid'), '#0');
  assert.equal(await p.page.textContent('.epoch-label'), 'epoch 0');
  assert.deepEqual(p.errors, []);
  await p.page.close();
});
