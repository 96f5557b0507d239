import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { TrainerEvent } from '../../src/protocol/events';
import { CurvesModel, runSeries } from '../../src/extension/panels/curvesModel';
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

test('curves: six uPlot charts, a run added and overlaid, live push, smoothing, log axis, CSV and PNG export', {
  skip,
}, async () => {
  for (const theme of ['dark', 'light'] as const) {
    const model = new CurvesModel(
      {
        pickRun: async () => join(root, 'b'),
        save: async (name, content) => (saves.push({ name, content }), `/saved/${name}`),
        isLive: () => false,
      },
      [join(root, 'a')],
    );
    const p = await openPanel(ctx.context, served, {
      panel: 'curves',
      initial: model.init(),
      theme,
      host: (m: any) => (m.type === 'ready' ? [] : respond(m, () => model.handle(m))),
    });
    await p.page.waitForSelector('.chart .uplot canvas');
    assert.equal(await p.page.locator('.chart').count(), 6);
    assert.deepEqual(await p.page.$$eval('.chart h3', (els) => els.map((e) => e.textContent)), [
      'ConvNet loss',
      'NMI(t, t−1)',
      'Against labels',
      'k-means objective',
      'Cluster sizes',
      'Seconds per phase',
    ]);
    assert.equal(await p.page.getAttribute('[data-chart="loss"]', 'data-points'), '12');
    // Overlay a second run through the host's picker.
    await p.page.click('vscode-button:has-text("Add run")');
    await p.page.waitForFunction(() => document.querySelectorAll('.run-chip').length === 2);
    const legend = await p.page.$$eval(
      '[data-chart="labels"] .u-legend .u-series:not([style*="display: none"]) .u-label',
      (els) => els.map((e) => e.textContent),
    );
    assert.deepEqual(legend, [
      'epochs done',
      'run-a NMI',
      'run-b NMI',
      'run-a ARI',
      'run-b ARI',
      'run-a accuracy',
      'run-b accuracy',
      'run-a purity',
      'run-b purity',
    ]);
    // Live: the host pushes run-b with one more epoch.
    const b = model.series()[1]!;
    await p.push({
      type: 'runSeries',
      run: {
        ...b,
        live: true,
        metrics: [...b.metrics, ...[6, 7, 8, 9, 10, 11, 12, 13].map((e) => metricsFor(e, 10, 100))],
      },
    });
    await p.page.waitForFunction(
      () => document.querySelector('[data-chart="loss"]')!.getAttribute('data-points') === '14',
    );
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

/** events.jsonl of a run that records steps: `epochs` epochs of 50 steps (a step event every 2 steps, 20 s apart)
 * with their phases, then (optionally) the next epoch's first phase. */
function stepRunEvents(epochs: number, stepsOnlyUntil = Infinity, nextEpoch = false): string {
  const t = (s: number) => new Date(T0 * 1000 + s * 1000).toISOString();
  const ev: TrainerEvent[] = [
    { type: 'start', t: t(0), runDir: '/c', epochs: 5, startEpoch: 0, engine: {} as never, images: 1000 },
  ];
  let clock = 0;
  const phase = (epoch: number, p: 'features' | 'clustering' | 'training' | 'checkpoint', done?: number) =>
    ev.push({ type: 'phase', t: t(clock), epoch, phase: p, ...(done !== undefined ? { done, total: 1000 } : {}) });
  for (let e = 0; e < epochs; e++) {
    phase(e, 'features');
    clock += 6;
    phase(e, 'clustering');
    clock += 4;
    phase(e, 'training');
    for (let s = 2; s <= 50; s += 2) {
      clock += 20;
      const step = e * 50 + s;
      if (step > stepsOnlyUntil) return ev.map((x) => JSON.stringify(x)).join('\n') + '\n';
      ev.push({
        type: 'step',
        t: t(clock),
        epoch: e,
        step,
        loss: 4.6 / Math.sqrt(1 + step / 20) + 0.05 * Math.sin(step),
        lr: 0.05,
        imagesPerSecond: 80 + 10 * Math.sin(step / 7),
        steps: 2,
        epochFraction: s / 50,
      });
      phase(e, 'training', s * 20);
    }
    phase(e, 'checkpoint');
    clock += 20;
    ev.push({ type: 'epoch', t: t(clock), metrics: metricsFor(e, 10, 1000), step: (e + 1) * 50 });
  }
  if (nextEpoch) phase(epochs, 'features', 300);
  return ev.map((x) => JSON.stringify(x)).join('\n') + '\n';
}
/** The fixture run's start (in the past, so a live epoch's elapsed time is well defined). */
const T0 = Date.UTC(2025, 10, 1, 10, 0, 0) / 1000;

test('curves: step points within an epoch, x axis by step/epoch/relative/wall, throughput, 10^6 steps downsampled', {
  skip,
}, async () => {
  const dir = join(root, 'c');
  mkdirSync(dir, { recursive: true });
  // The run has trained 20 steps of its first epoch: no epoch has finished yet.
  writeFileSync(join(dir, 'events.jsonl'), stepRunEvents(1, 20));
  const model = new CurvesModel({ pickRun: async () => undefined, save: async () => undefined, isLive: () => true }, [
    dir,
  ]);
  const p = await openPanel(ctx.context, served, {
    panel: 'curves',
    initial: model.init(),
    theme: 'dark',
    host: (m: any) => (m.type === 'ready' ? [] : respond(m, () => model.handle(m))),
  });
  await p.page.waitForSelector('.chart .uplot canvas');
  const titles = () => p.page.$$eval('.chart h3', (els) => els.map((e) => e.textContent));
  assert.deepEqual(await titles(), [
    'ConvNet loss',
    'NMI(t, t−1)',
    'Against labels',
    'k-means objective',
    'Cluster sizes',
    'Seconds per phase',
    'Throughput (images/s)',
    'Learning rate',
  ]);
  assert.equal(await p.page.isHidden('.empty'), true, 'the curves show before the first epoch ends');
  const attr = (chart: string, a: string) => p.page.getAttribute(`[data-chart="${chart}"]`, a);
  assert.equal(await attr('loss', 'data-points'), '10');
  assert.equal(await attr('loss', 'data-x-range'), '2,20', 'x axis: global step by default when the run records steps');
  assert.equal(await attr('throughput', 'data-points'), '10');
  // The chip says where the live run is; no ETA before an epoch has finished. The timeline shows the live epoch.
  assert.equal((await p.page.textContent('.live-status'))!.trim(), 'epoch 1/5 · training 40%');
  assert.deepEqual(
    await p.page.$$eval('.tl-row', (rows) =>
      rows.map((r) => [
        r.getAttribute('data-epoch'),
        r.className,
        [...r.querySelectorAll('.tl-seg')].map((x) => x.getAttribute('data-phase')),
      ]),
    ),
    [['0', 'tl-row live', ['features', 'clustering', 'training']]],
  );
  // Live: more steps and the first epoch's end arrive.
  writeFileSync(join(dir, 'events.jsonl'), stepRunEvents(3, Infinity, true));
  await p.push({ type: 'runSeries', run: runSeries(dir, true) });
  await p.page.waitForFunction(
    () => document.querySelector('[data-chart="loss"]')!.getAttribute('data-points') === '75',
  );
  // 3 of 5 epochs done at 186 s each (the fixture's metrics), the 4th running for longer than that: 186 s left.
  assert.equal((await p.page.textContent('.live-status'))!.trim(), 'epoch 4/5 · features 30% · ETA 3m 06s');
  const rows = await p.page.$$eval('.tl-row', (els) =>
    els.map((r) => [
      r.getAttribute('data-epoch'),
      r.classList.contains('live'),
      (r.querySelector('.tl-bar') as HTMLElement).style.width,
      r.querySelectorAll('.tl-seg').length,
    ]),
  );
  assert.deepEqual(
    rows.map((r) => r.slice(0, 2)),
    [
      ['0', false],
      ['1', false],
      ['2', false],
      ['3', true],
    ],
  );
  // Finished epochs: 4 phases each, 185.5 s each (one scale); the live one has run longer and fills its row.
  assert.deepEqual(
    rows.map((r) => r.slice(2)),
    [
      ['100%', 4],
      ['100%', 4],
      ['100%', 4],
      ['100%', 1],
    ],
  );
  assert.equal(await attr('loss', 'data-x-range'), '2,150');
  assert.equal(await attr('nmiPrev', 'data-x-range'), '100,150', "epoch metrics at the step of their epoch's end");
  const pick = async (v: string) => {
    await p.page.evaluate((value) => {
      const s = document.querySelector('vscode-single-select.x-axis') as HTMLElement & { value: string };
      s.value = value;
      s.dispatchEvent(new Event('change'));
    }, v);
  };
  await pick('epoch');
  await p.page.waitForFunction(
    () => document.querySelector('[data-chart="loss"]')!.getAttribute('data-x-range') === '0.04,3',
  );
  assert.equal(await attr('objective', 'data-x-range'), '1,3');
  await pick('relative');
  await p.page.waitForFunction(() =>
    document.querySelector('[data-chart="loss"]')!.getAttribute('data-x-range')?.startsWith('30,'),
  );
  assert.equal(await attr('loss', 'data-x-range'), '30,1590');
  assert.equal(await p.page.textContent('[data-chart="loss"] .u-legend .u-series .u-label'), 'time since start');
  await pick('wall');
  await p.page.waitForFunction(
    (x) => document.querySelector('[data-chart="loss"]')!.getAttribute('data-x-range') === x,
    `${T0 + 30},${T0 + 1590}`,
  );
  assert.equal((await p.page.evaluate(() => (window as any).__dcState)).ui.xAxis, 'wall');
  await pick('step');
  await p.page.waitForFunction(
    () => document.querySelector('[data-chart="loss"]')!.getAttribute('data-x-range') === '2,150',
  );
  await p.page.screenshot({ path: join(ARTIFACTS, 'curves-steps-dark.png'), fullPage: true });
  await p.page.locator('.timeline').screenshot({ path: join(ARTIFACTS, 'curves-timeline-dark.png') });

  // 10^6 step points (built in the page: the transfer is not what is measured), downsampled per pixel column.
  const drawMs: number[] = [];
  for (let round = 0; round < 3; round++) {
    const draws = Number(await p.page.evaluate(() => document.body.dataset.draws));
    await p.page.evaluate(
      ([runDir, r]) => {
        const n = 1_000_000;
        const steps = {
          step: new Array(n),
          epoch: new Array(n),
          time: new Array(n),
          loss: new Array(n),
          lr: new Array(n),
          imagesPerSecond: new Array(n),
          epochFraction: new Array(n),
        };
        for (let i = 0; i < n; i++) {
          steps.step[i] = i + 1;
          steps.epoch[i] = Math.floor(i / 5000);
          steps.time[i] = 1.7e9 + i * 0.25;
          steps.loss[i] = 4 / Math.sqrt(1 + i / 1000) + 0.1 * Math.sin(i + r);
          steps.lr[i] = 0.05;
          steps.imagesPerSecond[i] = 1000 + 50 * Math.sin(i / 100);
          steps.epochFraction[i] = ((i % 5000) + 1) / 5000;
        }
        window.postMessage(
          { type: 'runSeries', run: { runId: 'c', runDir, live: true, metrics: [], steps, startTime: 1.7e9 } },
          '*',
        );
      },
      [dir, round] as const,
    );
    await p.page.waitForFunction((n) => Number(document.body.dataset.draws) > n, draws, { timeout: 120_000 });
    assert.equal(await attr('loss', 'data-x-range'), '1,1000000');
    drawMs.push(Number(await p.page.evaluate(() => document.body.dataset.drawMs)));
  }
  const width = await p.page.evaluate(
    () => (document.querySelector('[data-chart="loss"] canvas') as HTMLCanvasElement).width,
  );
  const points = Number(await attr('loss', 'data-points'));
  console.log(
    `10^6 steps: ${points} points drawn in the loss chart (canvas ${width} px); redraw of all 8 charts ${drawMs.map((x) => x.toFixed(0)).join(', ')} ms`,
  );
  // Raw and smoothed lines are downsampled separately: at most 2 per column each, plus their ends.
  assert.ok(points <= 2 * (2 * width + 4) && points >= width / 2, `${points} points for ${width} px`);
  // Zoom (drag) into a range: downsampled afresh there, so the points inside it are all drawn.
  await p.page.locator('[data-chart="loss"]').scrollIntoViewIfNeeded();
  const box = (await p.page.locator('[data-chart="loss"] .u-over').boundingBox())!;
  await p.page.mouse.move(box.x + box.width * 0.5, box.y + 20);
  await p.page.mouse.down();
  await p.page.mouse.move(box.x + box.width * 0.5 + 3, box.y + 20, { steps: 3 });
  await p.page.mouse.up();
  await p.page.waitForFunction(
    () => document.querySelector('[data-chart="loss"]')!.getAttribute('data-x-range') !== '1,1000000',
  );
  const [z0, z1] = (await attr('loss', 'data-x-range'))!.split(',').map(Number);
  const zoomedPoints = Number(await attr('loss', 'data-points'));
  assert.ok(z1! - z0! < 10_000, `zoomed to ${z0}..${z1}`);
  assert.ok(zoomedPoints >= Math.min(z1! - z0! + 1, width), `${zoomedPoints} points for ${z0}..${z1}`);
  await p.page.dblclick('[data-chart="loss"] .u-over');
  await p.page.waitForFunction(
    () => document.querySelector('[data-chart="loss"]')!.getAttribute('data-x-range') === '1,1000000',
  );
  assert.deepEqual(p.errors, []);
  await p.page.close();
});
