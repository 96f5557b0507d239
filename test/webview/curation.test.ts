// Curation from the cluster grid in Chromium with the real host model: rename, junk, merge and move from the
// detail view land in <run>/curation.json and repaint the cards; the export button reaches the host's exporter.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { GridModel } from '../../src/extension/panels/gridModel';
import { applyCuration, readCuration } from '../../src/runfolder/curation';
import { readAssignments } from '../../src/runfolder/curatedExport';
import { haveChromium, launch, openPanel, respond, serve, type Served } from './harness';
import { writeFixtureRun } from './fixture';

const skip = haveChromium ? false : 'needs /usr/bin/chromium (scripts/install-system-deps.sh --test)';
let ctx: { context: BrowserContext; close: () => Promise<void> };
let served: Served;
let runDir: string;
let model: GridModel;
const exports: { epoch: number; format: string }[] = [];

before(async () => {
  if (skip) return;
  runDir = mkdtempSync(join(tmpdir(), 'dc-curation-'));
  await writeFixtureRun(runDir, { images: 400, k: 12, epochs: 2, thumbs: 400 });
  served = await serve(runDir);
  model = new GridModel({
    runDir,
    webviewUri: (dir) => `${served.origin}/run/${dir.slice(runDir.length + 1)}`,
    save: async () => undefined,
    makeThumbs: async () => undefined,
    exportCurated: async (epoch, format) => (exports.push({ epoch, format }), '/exported'),
  });
  ctx = await launch();
});
after(async () => {
  if (skip) return;
  await ctx.close();
  served.server.close();
  rmSync(runDir, { recursive: true, force: true });
});

const host = (msg: any) => (msg.type === 'ready' ? [] : respond(msg, () => model.handle(msg, () => undefined)));

test('grid curation: rename, junk, merge and move are saved in curation.json and shown on the cards', {
  skip,
}, async () => {
  const p = await openPanel(ctx.context, served, {
    panel: 'clusterGrid',
    initial: model.init(1, { sort: 'id', descending: false, minSize: 0, label: -1, search: '', view: 'nearest' }),
    theme: 'dark',
    host,
  });
  await p.page.waitForSelector('.vg-card:not([hidden]) .cid');
  await p.page.focus('.viewport');
  await p.page.keyboard.press('Enter'); // cluster #0
  await p.page.waitForSelector('.detail:not([hidden]) .member');
  await p.page.fill('.cur-name', 'sneakers');
  await p.page.click('.cur-rename');
  await p.page.waitForFunction(() => document.querySelector('.detail h2')?.textContent === 'Cluster #0 sneakers');
  assert.equal(await p.page.textContent('.vg-card[data-pos="0"] .cid'), '#0 sneakers');
  await p.page.click('.cur-junk');
  await p.page.waitForSelector(
    '.vg-card[data-pos="0"] .card.junk, .vg-card[data-pos="0"].junk, .vg-card[data-pos="0"] .junk',
  );
  await p.page.click('.cur-junk'); // not junk after all
  await p.page.waitForFunction(() => !document.querySelector('.detail h2')?.textContent?.includes('junk'));
  // Merge #0 into #3, then move the first two members shown to #5.
  await p.page.fill('.cur-into', '3');
  await p.page.click('.cur-merge');
  await p.page.waitForFunction(() => document.querySelector('.vg-card[data-pos="0"] .cid')?.textContent === '#0 → #3');
  const picked = await p.page.$$eval('.member', (els) =>
    els.slice(0, 2).map((e) => Number((e as HTMLElement).dataset.index)),
  );
  await p.page.click('.member >> nth=0');
  await p.page.click('.member >> nth=1');
  await p.page.fill('.cur-move', '#5');
  await p.page.click('.cur-move-btn');
  await p.page.waitForFunction(() => /moved 2 image/.test(document.querySelector('.cur-status')?.textContent ?? ''));
  const c = readCuration(runDir)!;
  assert.equal(c.epoch, 1);
  assert.deepEqual(c.clusters, { 0: { name: 'sneakers', mergedInto: 3 } });
  assert.equal(c.clusters[0]!.mergedInto, 3);
  // #0's images now carry #3's decisions (no name yet: cluster-3); the two moved images belong to #5.
  assert.equal(
    applyCuration(c, readAssignments(runDir, 1)).find(
      (_x, i) => readAssignments(runDir, 1)[i] === 0 && !picked.includes(i),
    )!.name,
    'cluster-3',
  );
  const curated = applyCuration(c, readAssignments(runDir, 1));
  assert.equal(curated[picked[0]!]!.group, 5);
  assert.equal(curated[picked[1]!]!.group, 5);
  // Bad input from the page is refused with one message, nothing written.
  await p.page.fill('.cur-into', 'x');
  await p.page.click('.cur-merge');
  assert.match((await p.page.textContent('.cur-status'))!, /a cluster id/);
  await p.page.fill('.cur-into', '99');
  await p.page.click('.cur-merge');
  await p.page.waitForFunction(() => /no cluster 99/.test(document.querySelector('.cur-status')?.textContent ?? ''));
  // Export labelled… asks the host's exporter for this epoch.
  await p.page.keyboard.press('Escape');
  await p.page.click('.export-curated');
  for (let i = 0; i < 50 && exports.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(exports, [{ epoch: 1, format: 'imagefolder' }]);
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('grid curation: names made on epoch 1 follow the clusters to epoch 0 by largest overlap', { skip }, async () => {
  const e1 = readAssignments(runDir, 1);
  const e0 = readAssignments(runDir, 0);
  await model.handle(
    { type: 'curate', requestId: 1, epoch: 1, edit: { action: 'rename', cluster: 7, name: 'boots' } },
    () => undefined,
  );
  const at0 = await model.handle({ type: 'loadEpoch', requestId: 2, epoch: 0 }, () => undefined);
  // The epoch-0 cluster holding most of epoch-1 cluster 7's images carries the name.
  const counts = new Map<number, number>();
  e1.forEach((c, i) => c === 7 && counts.set(e0[i]!, (counts.get(e0[i]!) ?? 0) + 1));
  const best = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  assert.equal(at0.clusters[best]!.name, 'boots');
  assert.equal(at0.clusters.filter((c) => c.name === 'boots').length, 1);
});
