import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { CurvesModel } from '../../src/extension/panels/curvesModel';
import { ARTIFACTS, haveChromium, launch, openPanel, respond, serve, type Served } from './harness';
import { metricsFor, writeFixtureRun } from './fixture';

const skip = haveChromium ? false : 'needs /usr/bin/chromium (scripts/install-system-deps.sh --test)';
let ctx: { context: BrowserContext; close: () => Promise<void> };
let served: Served;
let root: string;
const saves: { name: string; content: string | Buffer }[] = [];

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'dc-curves-'));
  await writeFixtureRun(join(root, 'a'), { id: 'run-a', images: 100, k: 10, epochs: 12, thumbs: 0 });
  await writeFixtureRun(join(root, 'b'), { id: 'run-b', images: 100, k: 10, epochs: 6, thumbs: 0, seed: 3 });
  served = await serve(root);
  ctx = await launch();
  mkdirSync(ARTIFACTS, { recursive: true });
});
after(async () => {
  if (skip) return;
  await ctx.close();
  served.server.close();
  rmSync(root, { recursive: true, force: true });
});

test('curves: six uPlot charts, a run added and overlaid, live push, smoothing, log axis, CSV and PNG export', { skip }, async () => {
  for (const theme of ['dark', 'light'] as const) {
    const model = new CurvesModel({ pickRun: async () => join(root, 'b'), save: async (name, content) => (saves.push({ name, content }), `/saved/${name}`), isLive: () => false }, [join(root, 'a')]);
    const p = await openPanel(ctx.context, served, { panel: 'curves', initial: model.init(), theme, host: (m: any) => (m.type === 'ready' ? [] : respond(m, () => model.handle(m))) });
    await p.page.waitForSelector('.chart .uplot canvas');
    assert.equal(await p.page.locator('.chart').count(), 6);
    assert.deepEqual(await p.page.$$eval('.chart h3', (els) => els.map((e) => e.textContent)), ['ConvNet loss', 'NMI(t, t−1)', 'Against labels', 'k-means objective', 'Cluster sizes', 'Seconds per phase']);
    assert.equal(await p.page.getAttribute('[data-chart="loss"]', 'data-points'), '12');
    // Overlay a second run through the host's picker.
    await p.page.click('vscode-button:has-text("Add run")');
    await p.page.waitForFunction(() => document.querySelectorAll('.run-chip').length === 2);
    const legend = await p.page.$$eval('[data-chart="labels"] .u-legend .u-series:not([style*="display: none"]) .u-label', (els) => els.map((e) => e.textContent));
    assert.deepEqual(legend, ['epoch', 'run-a NMI', 'run-b NMI', 'run-a ARI', 'run-b ARI', 'run-a accuracy', 'run-b accuracy', 'run-a purity', 'run-b purity']);
    // Live: the host pushes run-b with one more epoch.
    const b = model.series()[1]!;
    await p.push({ type: 'runSeries', run: { ...b, live: true, metrics: [...b.metrics, ...[6, 7, 8, 9, 10, 11, 12, 13].map((e) => metricsFor(e, 10, 100))] } });
    await p.page.waitForFunction(() => document.querySelector('[data-chart="loss"]')!.getAttribute('data-points') === '14');
    assert.match((await p.page.textContent('.runs'))!, /run-b ●/);
    // Smoothing and log axis change the chart without errors; the state is remembered.
    await p.page.fill('input.smoothing', '0.9');
    await p.page.dispatchEvent('input.smoothing', 'input');
    assert.equal(await p.page.textContent('.smoothing-value'), '0.90');
    await p.page.click('[data-chart="loss"] vscode-checkbox');
    const st = await p.page.evaluate(() => (window as any).__dcState);
    assert.equal(st.ui.smoothing, 0.9);
    assert.equal(st.ui.logY.loss, true);
    assert.equal(st.runDirs.length, 2);
    await p.page.screenshot({ path: join(ARTIFACTS, `curves-${theme}.png`), fullPage: true });
    // Exports.
    saves.length = 0;
    await p.page.click('vscode-button:has-text("Export CSV")');
    await p.page.click('vscode-button:has-text("Export PNG")');
    for (let i = 0; i < 100 && saves.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const csv = saves.find((s) => s.name.endsWith('.csv'))!.content as string;
    assert.equal(csv.trim().split('\n').length, 1 + 12 + 14);
    const png = saves.find((s) => s.name.endsWith('.png'))!.content as Buffer;
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.ok(png.length > 10_000, `png bytes ${png.length}`);
    assert.deepEqual(p.errors, []);
    await p.page.close();
  }
});
