import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import sharp from 'sharp';
import { filterFileStem } from '../../src/runfolder/layout';
import { FiltersModel } from '../../src/extension/panels/filtersModel';
import type { HostMessage } from '../../src/protocol/webview';
import { ARTIFACTS, haveChromium, launch, openPanel, respond, serve, type Served } from './harness';
import { writeFixtureRun } from './fixture';

const skip = haveChromium ? false : 'needs /usr/bin/chromium (scripts/install-system-deps.sh --test)';
let ctx: { context: BrowserContext; close: () => Promise<void> };
let served: Served;
let runDir: string;

/** What `deepcluster visualize` leaves behind (src/protocol/analysis.ts layout): a coloured pattern per filter. */
async function fakeVisualize(dir: string, epoch: number, layer: string, from: number, to: number): Promise<void> {
  const out = join(dir, 'analysis', `epoch-${String(epoch).padStart(4, '0')}`, layer);
  mkdirSync(out, { recursive: true });
  const filters = [];
  for (let f = from; f <= to; f++) {
    const px = Buffer.alloc(56 * 56 * 3);
    for (let i = 0; i < 56 * 56; i++) {
      const x = i % 56,
        y = Math.floor(i / 56);
      px[i * 3] = 128 + 120 * Math.sin((x * (f + 1)) / 9);
      px[i * 3 + 1] = 128 + 120 * Math.cos((y * (f + 2)) / 11);
      px[i * 3 + 2] = 128 + 120 * Math.sin(((x + y) * (f + 3)) / 13);
    }
    writeFileSync(
      join(out, `${filterFileStem(f)}.png`),
      await sharp(px, { raw: { width: 56, height: 56, channels: 3 } })
        .png()
        .toBuffer(),
    );
    writeFileSync(
      join(out, `${filterFileStem(f)}.json`),
      JSON.stringify({
        layer,
        filter: f,
        image: `analysis/x/${filterFileStem(f)}.png`,
        activationStart: 0.1,
        activationEnd: 2 + f,
      }),
    );
    filters.push({
      filter: f,
      indices: Array.from({ length: 9 }, (_, i) => (f * 9 + i) % 200),
      scores: Array.from({ length: 9 }, (_, i) => 5 - i * 0.3),
    });
  }
  writeFileSync(join(out, 'top.json'), JSON.stringify({ checkpoint: 'epoch', layer, count: 9, images: 200, filters }));
}

before(async () => {
  if (skip) return;
  runDir = mkdtempSync(join(tmpdir(), 'dc-filters-'));
  await writeFixtureRun(runDir, { images: 200, k: 10, epochs: 2, thumbs: 200 });
  served = await serve(runDir);
  ctx = await launch();
  mkdirSync(ARTIFACTS, { recursive: true });
});
after(async () => {
  if (skip) return;
  await ctx.close();
  served.server.close();
  rmSync(runDir, { recursive: true, force: true });
});

test('filters: pick a layer, compute on demand with progress, then served from the cache; cancel reaches the host', {
  skip,
}, async () => {
  const jobs: unknown[] = [];
  const cancelled: number[] = [];
  let hang: (() => void) | undefined;
  const model = new FiltersModel({
    runDir,
    webviewUri: (f) => `${served.origin}/run/${f.slice(runDir.length + 1)}`,
    visualize: async (job, progress) => {
      jobs.push(job);
      if (job.layer === 'conv3') return new Promise<void>((_, reject) => (hang = () => reject(new Error('cancelled'))));
      for (let i = job.from; i <= job.to; i++) progress(i - job.from + 1, job.to - job.from + 1, 'gradient ascent');
      await fakeVisualize(runDir, job.epoch, job.layer, job.from, job.to);
    },
    cancel: (id) => (cancelled.push(id), hang?.(), true),
    makeThumbs: async () => undefined,
  });
  const host = async (m: any): Promise<HostMessage[]> => {
    if (m.type === 'ready') return [];
    const progress: HostMessage[] = [];
    const res = await respond(m, () =>
      model.handle(m, (done, total, message) =>
        progress.push({ type: 'progress', requestId: m.requestId, done, total, message }),
      ),
    );
    return [...progress, ...res];
  };
  for (const theme of ['dark', 'light'] as const) {
    const p = await openPanel(ctx.context, served, {
      panel: 'filters',
      initial: model.init(undefined, { layer: 'conv2', from: 0, to: 11 }),
      theme,
      host,
    });
    await p.page.waitForSelector('.filters');
    if (theme === 'dark') {
      assert.match((await p.page.textContent('.filters'))!, /press Visualize/);
      assert.deepEqual(
        await p.page.$$eval('vscode-single-select[aria-label="Conv layer"] vscode-option', (els) =>
          els.map((e) => e.textContent),
        ),
        ['conv1 (32 filters)', 'conv2 (64 filters)', 'conv3 (128 filters)'],
      );
    } else assert.equal(await p.page.locator('.filter').count(), 12, 'cached results painted from the initial state');
    await p.page.click('vscode-button:has-text("Visualize")');
    await p.page.waitForFunction(() => document.querySelectorAll('.filter img.ascent').length === 12);
    await p.page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.filter img')].every((i) => i.complete && i.naturalWidth > 0),
    );
    assert.equal(await p.page.locator('.filter').first().locator('.top9 img').count(), 9);
    assert.equal(await p.page.textContent('.status'), theme === 'dark' ? 'Computed 12 filters' : 'From the cache');
    await p.page.screenshot({ path: join(ARTIFACTS, `filters-${theme}.png`) });
    // Keyboard: focus the first card, ArrowRight moves to the second.
    await p.page.focus('.filter');
    await p.page.keyboard.press('ArrowRight');
    assert.equal(await p.page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'conv2 filter 1');
    assert.deepEqual(p.errors, []);
    await p.page.close();
  }
  assert.equal(jobs.length, 1, 'the second visit used the cache');
  // A long computation can be cancelled.
  const p = await openPanel(ctx.context, served, {
    panel: 'filters',
    initial: model.init(undefined, { layer: 'conv3', from: 0, to: 3 }),
    theme: 'dark',
    host,
  });
  await p.page.click('vscode-button:has-text("Visualize")');
  await p.page.waitForSelector('vscode-button:has-text("Cancel"):not([hidden])');
  await p.page.click('vscode-button:has-text("Cancel")');
  await p.page.waitForFunction(() => document.querySelector('.status')?.textContent === 'cancelled');
  const v = p.posted.find((m) => m.type === 'visualize' && m.layer === 'conv3');
  assert.deepEqual(cancelled, [v.requestId]);
  await p.page.close();
});
