// The end-to-end scenario: the packaged .vsix in a real VS Code (code-server) driven by Debian's Chromium.
// Train on a generated image folder from the palette, then look at the result everywhere the extension shows it.
// Usage (npm run test:e2e does all of it): node --import tsx test/e2e/scenario.ts RIG_DIR EXT.vsix
// A failing step saves NN-failure.png, copies the logs into test/e2e/artifacts/ and prints their tails.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readRunManifest } from '../../src/runfolder/manifest';
import { readSkipped } from '../../src/runfolder/skipped';
import { chromium, type Browser, type Page } from 'playwright-core';
import { logFiles, processesMentioning, startCodeServer, stopCodeServer, type CodeServer } from './codeServer';
import { makeImageFolder } from './makeDataset';
import {
  chooseInFileDialog,
  errorNotification,
  expandRow,
  notification,
  pickQuickItem,
  runCommand,
  sideBarRow,
  waitForWorkbench,
  waitUntil,
  webviewFrame,
} from './workbench';

/**
 * Steps 4-6 drive the panels (cluster grid, training curves, filter visualisation). While they are not in the
 * build, set this to true: the steps are then reported as PENDING instead of run. This is the only switch.
 */
const PANELS_PENDING = false;

const SETTINGS = {
  epochs: 2,
  k: 10,
  batchSize: 64,
  // wasm: the same numbers on every machine; auto would try Dawn/lavapipe first.
  backend: 'wasm',
};
const PER_CLASS = 30; // 10 classes: 300 images
const TRAIN_TIMEOUT_MS = 6 * 60_000;

const [rigArg, vsixArg] = process.argv.slice(2);
if (!rigArg || !vsixArg) {
  console.error('usage: scenario.ts RIG_DIR EXT.vsix');
  process.exit(2);
}
const rigDir = resolve(rigArg);
const vsix = resolve(vsixArg);
const artifacts = resolve(__dirname, 'artifacts');
rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });

const t0 = Date.now();
const secs = (t: number) => ((Date.now() - t) / 1000).toFixed(1);
let stepNo = 0;
let page: Page | undefined;

let stepsPassed = 0;
let stepsFailed = 0;

async function step(title: string, fn: () => Promise<string | void>, pending = false): Promise<void> {
  const n = String(++stepNo).padStart(2, '0');
  if (pending) return void console.log(`  - ${n} ${title}: PENDING (PANELS_PENDING in test/e2e/scenario.ts)`);
  const t = Date.now();
  try {
    const note = await fn();
    await page?.screenshot({ path: join(artifacts, `${n}-${slug(title)}.png`) });
    console.log(`  ok ${n} ${title} (${secs(t)} s)${note ? `: ${note}` : ''}`);
    stepsPassed++;
  } catch (e) {
    stepsFailed++;
    await page?.screenshot({ path: join(artifacts, `${n}-failure.png`) }).catch(() => undefined);
    throw Object.assign(new Error(`step ${n} "${title}" failed: ${(e as Error).message}`), { cause: e });
  }
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);

/** The run folder the extension created under the workspace's runs folder. */
function runDirOf(ws: string): string {
  const root = join(ws, '.deepcluster', 'runs');
  const runs = existsSync(root) ? readdirSync(root).filter((r) => !r.includes('-pretrained-')) : [];
  if (runs.length !== 1) throw new Error(`expected one run in ${root}, found ${runs.length}`);
  return join(root, runs[0]!);
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(missing)';
  }
}

/** What a failure prints: VS Code's logs (server, extension host, the DeepCluster channel) and the trainer's. */
function dumpLogs(runTmp: string, server: CodeServer | undefined, ws: string): void {
  const logs = join(artifacts, 'logs');
  mkdirSync(logs, { recursive: true });
  const files = [join(runTmp, 'server.log'), ...(server ? logFiles(server.dataDir) : [])];
  let runDir: string | undefined;
  try {
    runDir = runDirOf(ws);
    files.push(join(runDir, 'events.jsonl'));
  } catch {
    // no run folder: the failure came before training
  }
  for (const f of files) {
    if (!existsSync(f)) continue;
    const interesting = /server\.log|remoteexthost\.log|DeepCluster\.log|events\.jsonl/.test(f);
    copyFileSync(f, join(logs, f.slice(runTmp.length + 1).replace(/[\\/]/g, '_') || basename(f)));
    if (interesting) console.log(`\n----- ${f} (last 40 lines)\n${tail(f, 40)}`);
  }
  console.log(`\n(all logs copied to ${logs})`);
}

/**
 * If this driver dies before its teardown (Ctrl+C, CI timeout, a closed stdout pipe), the server's group must not
 * outlive it: kill it synchronously on exit, and turn the usual signals into an exit.
 */
function killOnExit(pgid: number): void {
  process.on('exit', () => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone: the normal teardown ran
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => process.exit(130));
  process.stdout.on('error', () => process.exit(1)); // EPIPE: `... | head`
}

async function main(): Promise<boolean> {
  const runTmp = mkdtempSync(join(tmpdir(), 'deepcluster-e2e-'));
  const ws = join(runTmp, 'workspace');
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let ok = false;
  let runDir = '';
  try {
    console.log(`e2e: ${basename(vsix)} in code-server from ${rigDir}; screenshots in ${artifacts}`);
    await step('workspace with an image folder', async () => {
      const data = await makeImageFolder(join(ws, 'images'), PER_CLASS);
      mkdirSync(join(ws, '.vscode'), { recursive: true });
      const settings = Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [`deepcluster.${k}`, v]));
      // Decoded-image caches go into the throw-away folder, not ~/.cache.
      writeFileSync(
        join(ws, '.vscode', 'settings.json'),
        JSON.stringify({ ...settings, 'deepcluster.cacheFolder': join(runTmp, 'cache') }, null, 2),
      );
      server = await startCodeServer(rigDir, vsix, runTmp, ws);
      killOnExit(server.pgid);
      browser = await chromium.launch({
        executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
      await page.goto(server.url, { waitUntil: 'domcontentloaded' });
      await waitForWorkbench(page);
      return `${data.images} PNGs + ${data.bad.join(', ')}; server on ${server.url}`;
    });
    const p = page!;

    /** Right-click a tree row and run one of its context-menu entries. */
    const contextMenu = async (row: ReturnType<typeof sideBarRow>, entry: string) => {
      await row.click({ button: 'right' });
      const menu = p.locator('.context-view .monaco-menu');
      const item = menu
        .locator('.action-item')
        .filter({ hasText: new RegExp(`^${entry}`) })
        .first();
      await item.waitFor({ timeout: 10_000 });
      // The menu ignores a mouse-up that comes too soon after it opened.
      await item.hover();
      await p.waitForTimeout(300);
      await item.click();
      await menu.waitFor({ state: 'hidden', timeout: 5000 });
    };
    /** The panel's webview, or a clear failure when the build still has the "not available" placeholder. */
    const panelFrame = async (selector: string) => {
      const placeholder = p
        .locator('.notifications-toasts .notification-toast')
        .filter({ hasText: /not available in this build/ })
        .or(errorNotification(p))
        .first();
      const frame = webviewFrame(p, selector, 90_000);
      const missing = placeholder.waitFor({ timeout: 90_000 }).then(async () => {
        throw new Error(`the extension says: ${await placeholder.innerText()}`);
      });
      missing.catch(() => undefined); // its timeout after the frame was found is no failure
      return Promise.race([frame, missing]);
    };

    await step(
      'DeepCluster: Train from the palette; the curves gain a point before epoch 0 ends; until the completion notification',
      async () => {
        await runCommand(p, 'DeepCluster: Train');
        await pickQuickItem(p, /data to train on/, /Choose a folder or file/);
        await chooseInFileDialog(p, ws, join(ws, 'images'), 'Train on this');
        await pickQuickItem(p, /how to train on/, /^Standard/);
        const t = Date.now();
        const done = notification(p, /DeepCluster run .* finished/);
        const failed = errorNotification(p);
        // The trainer runs from the installed extension: `node <extDir>/<ext>/dist/trainerHost.js .../cli.js train ...`.
        const trainers = () => processesMentioning(server!.extDir).filter((x) => x.cmd.includes('dist/trainer'));
        let seen = 0;
        const watchTrainers = () => (seen = Math.max(seen, trainers().length));
        // Issue 14: while the run trains, the curves panel gains a point before the first epoch ends (the step-level
        // scalars in events.jsonl reach the panel live; epoch-0000's checkpoint marks the end of the first epoch).
        const runsRoot = join(ws, '.deepcluster', 'runs');
        await waitUntil(
          async () => (watchTrainers(), existsSync(runsRoot) && readdirSync(runsRoot).length === 1),
          60_000,
          'the run folder',
        );
        const liveRun = runDirOf(ws);
        const firstEpochDone = join(liveRun, 'checkpoints', 'epoch-0000', 'checkpoint.json');
        await p.locator('.part.activitybar .action-item a[aria-label^="DeepCluster"]').first().click();
        const liveRow = sideBarRow(p, new RegExp(basename(liveRun))).first();
        await liveRow.waitFor({ timeout: 30_000 });
        await contextMenu(liveRow, 'Show Training Curves');
        // body[data-points] counts every point the panel draws: epochs (none before epoch 0 ends) plus steps.
        const live = await panelFrame('.curves-panel');
        const liveBody = live.locator('body');
        let points = 0;
        let epochEnded = false;
        const epochEventWritten = () =>
          existsSync(join(liveRun, 'events.jsonl')) &&
          /"type":\s*"epoch"/.test(readFileSync(join(liveRun, 'events.jsonl'), 'utf8'));
        await waitUntil(
          async () => {
            watchTrainers();
            // Points first, then the log: points seen while the log holds no 'epoch' event can only be steps.
            points = Number(await liveBody.getAttribute('data-points'));
            epochEnded = epochEventWritten() || existsSync(firstEpochDone);
            return (points > 0 && !epochEnded) || epochEnded || (await failed.isVisible());
          },
          TRAIN_TIMEOUT_MS,
          'a point on the live curves',
          500,
        );
        if (epochEnded)
          throw new Error(`the first epoch ended before the curves panel showed a point (it shows ${points})`);
        if (!(points > 0)) throw new Error('no point on the live curves');
        const liveNote = `curves showed ${points} point(s) ${secs(t)} s into the run, before epoch 0 ended`;
        // Back to the Explorer, as before: the tree step opens the DeepCluster view itself.
        await p.locator('.part.activitybar .action-item a[aria-label^="Explorer"]').first().click();
        await waitUntil(
          async () => {
            watchTrainers();
            return (await done.isVisible()) || (await failed.isVisible());
          },
          TRAIN_TIMEOUT_MS,
          'the completion notification',
          1000,
        );
        if (await failed.isVisible()) throw new Error(`error notification: ${await failed.innerText()}`);
        runDir = runDirOf(ws);
        if (seen !== 1) throw new Error(`expected to see one trainer process while training, saw ${seen}`);
        await waitUntil(async () => trainers().length === 0, 10_000, 'the trainer to exit after "finished"');
        return `trained in ${secs(t)} s; ${basename(runDir)}; ${liveNote}`;
      },
    );

    let checkpointRow = sideBarRow(p, /^$/);
    await step('Runs tree shows the run, its checkpoints and clusters', async () => {
      await p.locator('.part.activitybar .action-item a[aria-label^="DeepCluster"]').first().click();
      const run = sideBarRow(p, new RegExp(basename(runDir))).first();
      await run.waitFor({ timeout: 15_000 });
      const description = await run.innerText();
      if (!/finished/.test(description)) throw new Error(`run row says "${description}", not finished`);
      await expandRow(run);
      const epochs = sideBarRow(p, /^epoch \d+/);
      await waitUntil(
        async () => (await epochs.count()) === SETTINGS.epochs,
        10_000,
        `${SETTINGS.epochs} checkpoint rows`,
      );
      checkpointRow = epochs.first(); // newest first
      await expandRow(checkpointRow);
      const clusters = sideBarRow(p, /^cluster \d+/);
      await waitUntil(async () => (await clusters.count()) > 0, 10_000, 'cluster rows');
      const first = (await clusters.first().locator('.label-name, .label-description').allInnerTexts())
        .join(' ')
        .replace(/\s+/g, ' ');
      if (!/\d+ images/.test(first)) throw new Error(`cluster row without a size: "${first}"`);
      return `${await epochs.count()} checkpoints; ${await clusters.count()} cluster rows visible, largest "${first}"`;
    });

    await step(
      'Cluster Grid: a card with its size and images',
      async () => {
        await contextMenu(checkpointRow, 'Show Cluster Grid');
        const grid = await panelFrame('.card .csize');
        const size = (await grid.locator('.card .csize').first().innerText()).trim();
        const n = Number(/^(\d+) images?$/.exec(size)?.[1]);
        if (!(n > 0)) throw new Error(`card size reads "${size}"`);
        // The host has the trainer write the thumbnails first; the panel reports a failure in its progress line.
        const img = grid.locator('.card img.thumb[src]').first();
        const said = grid.locator('.progress', { hasText: /No thumbnails/ });
        await waitUntil(
          async () => (await img.count()) > 0 || (await said.count()) > 0,
          120_000,
          'thumbnails in the cards',
        );
        if (await said.count()) throw new Error(`the panel says "${(await said.innerText()).trim()}"`);
        await waitUntil(
          () => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0),
          30_000,
          'a thumbnail to load',
        );
        const w = await img.evaluate((el: HTMLImageElement) => el.naturalWidth);
        return `first card "${size}", thumbnail ${w}px wide`;
      },
      PANELS_PENDING,
    );

    await step(
      'Training Curves hold the 2 epochs',
      async () => {
        await contextMenu(sideBarRow(p, new RegExp(basename(runDir))).first(), 'Show Training Curves');
        // Each chart's section carries data-points: how many x values it draws. Per-epoch charts hold one per
        // epoch; the loss, lr and throughput charts also hold the step-level points, so at least that many.
        const curves = await panelFrame('.curves-panel section.chart[data-chart="loss"]');
        const loss = curves.locator('section.chart[data-chart="loss"]');
        await waitUntil(
          async () => Number(await loss.getAttribute('data-points')) > SETTINGS.epochs,
          30_000,
          `the loss curve to hold ${SETTINGS.epochs} epochs and their steps`,
        );
        const charts = await curves
          .locator('section.chart')
          .evaluateAll((els) =>
            els.map((e) => `${(e as HTMLElement).dataset.chart}:${(e as HTMLElement).dataset.points}`),
          );
        const wrong = charts.filter((c) => Number(c.split(':')[1]) < SETTINGS.epochs);
        if (wrong.length) throw new Error(`charts with fewer than ${SETTINGS.epochs} points: ${wrong.join(', ')}`);
        if (!(await curves.locator('section.chart canvas').count())) throw new Error('no chart canvas drawn');
        return `charts ${charts.join(' ')}`;
      },
      PANELS_PENDING,
    );

    await step(
      'Visualize Filters: one filter image',
      async () => {
        await contextMenu(checkpointRow, 'Visualize Filters');
        const filters = await panelFrame('.filters-panel vscode-button');
        // One filter: 0 to 0 (the fields are vscode-textfield components; their inner input is in an open shadow root).
        await filters.locator('vscode-textfield[aria-label="First filter"] input').fill('0');
        await filters.locator('vscode-textfield[aria-label="Last filter"] input').fill('0');
        await filters.locator('vscode-button', { hasText: 'Visualize' }).click();
        const img = filters.locator('figure.filter img.ascent').first();
        const status = filters.locator('.status');
        await img.waitFor({ timeout: 180_000 }).catch(async (e) => {
          throw new Error(
            `no filter image; the panel says "${await status.innerText().catch(() => '?')}" (${(e as Error).message.split('\n')[0]})`,
          );
        });
        await waitUntil(
          () => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0),
          30_000,
          'the filter image to load',
        );
        const cards = await filters.locator('figure.filter').count();
        if (cards !== 1) throw new Error(`expected one filter card, got ${cards}`);
        const w = await img.evaluate((el: HTMLImageElement) => `${el.naturalWidth}x${el.naturalHeight}`);
        return `${await filters.locator('figure.filter').getAttribute('aria-label')}: ${w} image, status "${(await status.innerText()).trim()}"`;
      },
      PANELS_PENDING,
    );

    await step('Checkpoint inspector opens on the checkpoint', async () => {
      await checkpointRow.locator('.label-name').click(); // the row's command: deepcluster.openCheckpoint
      const inspector = await webviewFrame(p, 'h1');
      const h1 = inspector.locator('h1', { hasText: /^Checkpoint · epoch \d+/ });
      await h1.waitFor({ timeout: 30_000 });
      const tab = p.locator('.tabs-container .tab.active');
      await waitUntil(async () => /checkpoint\.json/.test(await tab.innerText()), 10_000, 'the inspector tab');
      const sections = await inspector.locator('h2').allInnerTexts();
      for (const s of ['Configuration', 'Metrics', 'Cluster sizes', 'Architecture'])
        if (!sections.includes(s)) throw new Error(`inspector lacks "${s}": ${sections}`);
      return `"${await h1.innerText()}", sections ${sections.join(', ')}`;
    });

    await step('the run lists the corrupt and the empty file as skipped', async () => {
      const skipped = readSkipped(runDir);
      const listed = skipped.map((s) => `${s.path}\t${s.reason}`).join('\n');
      const want = [join(ws, 'images', 'coat', 'corrupt.png'), join(ws, 'images', 'bag', 'empty.png')];
      for (const w of want)
        if (!skipped.some((s) => s.path === w)) throw new Error(`skipped.txt lacks ${w}:\n${listed}`);
      if (skipped.length !== 2) throw new Error(`skipped.txt lists ${skipped.length} files, expected 2:\n${listed}`);
      const manifest = readRunManifest(runDir);
      return `${skipped.map((s) => `${basename(s.path)}: ${s.reason}`).join('; ')}; run.json dataset: ${JSON.stringify(manifest.dataset?.images)} images`;
    });
    await step('Cluster Images with a Pretrained Model: an AlexNet checkpoint made here, then the grid', async () => {
      // The official AlexNet-BN + Sobel written by torch.save (test/unit/model/pytorch/official_checkpoint.py), at
      // 63 px so the feature pass takes seconds on wasm; without python3-torch the step says so and passes nothing.
      const python = ['/usr/bin/python3', 'python3'].find(
        (py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
      );
      if (!python) return 'SKIPPED: python3 with torch is not importable, so no checkpoint could be made';
      const models = join(ws, 'models');
      mkdirSync(models, { recursive: true });
      const maker = resolve(__dirname, '..', 'unit', 'model', 'pytorch', 'official_checkpoint.py');
      const made = spawnSync(
        python,
        [maker, 'alexnet', '63', '1', 'legacy', '1', '0', '0', '1', '20', join(models, 'alexnet.pth.tar'), runTmp],
        { encoding: 'utf8' },
      );
      if (made.status !== 0) throw new Error(`official_checkpoint.py failed: ${made.stderr}`);
      await runCommand(p, 'DeepCluster: Cluster Images with a Pretrained Model…');
      await pickQuickItem(p, /pretrained model/, /Choose a checkpoint file/);
      await chooseInFileDialog(p, ws, join(models, 'alexnet.pth.tar'), 'Use this model');
      await chooseInFileDialog(p, ws, join(ws, 'images'), 'Cluster these images');
      await waitUntil(
        async () =>
          /Number of clusters k/.test(
            await p
              .locator('.quick-input-widget .quick-input-title')
              .innerText()
              .catch(() => ''),
          ),
        15_000,
        'the k input box',
      );
      await p.keyboard.type('5');
      await p.keyboard.press('Enter');
      const done = notification(p, /clustered images into run/);
      const failed = errorNotification(p);
      await waitUntil(
        async () => (await done.isVisible()) || (await failed.isVisible()),
        TRAIN_TIMEOUT_MS,
        'the clustering to finish',
        1000,
      );
      if (await failed.isVisible()) throw new Error(`error notification: ${await failed.innerText()}`);
      const run = readdirSync(join(ws, '.deepcluster', 'runs')).find((r) => r.includes('-pretrained-'));
      if (!run) throw new Error('no -pretrained- run folder');
      const manifest = readRunManifest(join(ws, '.deepcluster', 'runs', run));
      if (manifest.status !== 'finished' || manifest.config.arch !== 'alexnet' || manifest.config.k !== 5)
        throw new Error(
          `run.json: ${JSON.stringify({ status: manifest.status, arch: manifest.config.arch, k: manifest.config.k })}`,
        );
      await done.locator('.monaco-button', { hasText: 'Open Cluster Grid' }).click();
      // The grid of this run: the one whose document holds exactly k = 5 cards (the trained run's has 10).
      let cards = 0;
      await waitUntil(
        async () => {
          for (const f of p.frames()) {
            const n = await f
              .locator('.card .csize')
              .count()
              .catch(() => 0);
            if (n === 5) return !!(cards = n);
          }
          return false;
        },
        90_000,
        'a cluster grid with 5 cards',
      );
      return `${run}: ${manifest.dataset.images} images, alexnet+Sobel from alexnet.pth.tar, grid with ${cards} cards`;
    });
    ok = true;
  } catch (e) {
    console.log(`\nFAILED ${(e as Error).message}`);
    dumpLogs(runTmp, server, ws);
  } finally {
    await browser?.close().catch(() => undefined);
    if (server) {
      const t = Date.now();
      await stopCodeServer(server);
      // Every trainer runs `node .../ext/<extension>/dist/trainerHost.js .../dist/trainer/cli.js`.
      const left = processesMentioning(server.extDir);
      if (left.length) {
        ok = false;
        console.log(
          `FAILED teardown: processes left after killing the server's group:\n${left.map((x) => `${x.pid} ${x.cmd}`).join('\n')}`,
        );
      } else console.log(`  ok teardown: process group ${server.pgid} gone, no trainer left (${secs(t)} s)`);
    }
    if (ok) rmSync(runTmp, { recursive: true, force: true });
    else console.log(`(kept ${runTmp} for inspection)`);
  }
  return ok;
}

main().then((ok) => {
  console.log(`${ok ? 'E2E OK' : 'E2E FAILED'} in ${secs(t0)} s`);
  // The plain closing line CI reads.
  console.log(`e2e: ${stepsPassed} passed, ${stepsFailed + (ok ? 0 : stepsFailed ? 0 : 1)} failed`);
  process.exit(ok ? 0 : 1);
});
