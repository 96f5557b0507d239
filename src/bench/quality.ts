// npm run bench:quality [-- --quick] [--recipes v2,paper] [--train N] [--test N] [--epochs-v2 N] [--epochs-paper N]
//                        [--backend NAME] [--json FILE]
// What does training buy on Fashion-MNIST (Debian's dataset-fashion-mnist)? Trains each recipe through the real
// CLI on the first N train images, then `deepcluster eval RUN --test t10k` scores, side by side, raw pixels, the
// untrained network and the trained one: kNN-20 accuracy on the test images, k-means at 10 clusters (NMI, mean
// of 5 seeds) and a linear probe. Prints wall time, seconds per phase, per-epoch NMI vs labels and the cost of
// an epoch per image, one recipe against the other on the same machine and backend.
// --quick: 3 000 train / 2 000 test images, 3 v2 epochs and 2 paper epochs (minutes, for iterating).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EpochMetrics, QualityReport, TrainerEvent } from '../protocol/events';
import { DEBIAN_FASHION_MNIST } from '../trainer/data/sample';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    recipes: { type: 'string', default: 'v2,paper' },
    train: { type: 'string' },
    test: { type: 'string' },
    'epochs-v2': { type: 'string' },
    'epochs-paper': { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    json: { type: 'string' },
    out: { type: 'string' },
    // Time the recipes only (e.g. one epoch each on a quiet machine for the per-image cost).
    'no-eval': { type: 'boolean', default: false },
  },
});

interface RecipeResult {
  recipe: string;
  command: string;
  wallSeconds: number;
  epochs: EpochMetrics[];
  initialNmi?: number;
  phaseSeconds: Record<string, number>;
  report?: QualityReport;
  evalSeconds: number;
  device: string;
}

function run(args: string[], onEvent?: (e: TrainerEvent) => void): Promise<string> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    let all = '';
    p.stdout.on('data', (chunk: Buffer) => {
      buf += chunk;
      all += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (onEvent && line.startsWith('{')) {
          try {
            onEvent(JSON.parse(line) as TrainerEvent);
          } catch {
            // not an event
          }
        }
      }
    });
    p.on('error', fail);
    p.on('exit', (code) =>
      code === 0 ? done(all) : fail(new Error(`${args.slice(1, 3).join(' ')} exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const trainFile = join(DEBIAN_FASHION_MNIST, 'train-images-idx3-ubyte.gz');
  const testFile = join(DEBIAN_FASHION_MNIST, 't10k-images-idx3-ubyte.gz');
  const quick = values.quick!;
  const nTrain = values.train ?? (quick ? '3000' : '20000');
  const nTest = values.test ?? (quick ? '2000' : '10000');
  const epochs: Record<string, string> = {
    v2: values['epochs-v2'] ?? (quick ? '3' : '10'),
    paper: values['epochs-paper'] ?? (quick ? '2' : '15'),
  };
  const root = resolve(__dirname, '..', '..');
  const cli = join(root, 'dist', 'trainer', 'cli.js');
  const outRoot = resolve(
    values.out ?? join(root, 'bench-out', `quality-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  mkdirSync(outRoot, { recursive: true });
  console.log(
    `bench:quality on ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; F-MNIST ${nTrain} train / ${nTest} test`,
  );
  const results: RecipeResult[] = [];
  for (const recipe of values.recipes!.split(',')) {
    const out = join(outRoot, recipe);
    // The paper recipe with the peer's settings (shared/reference/peer-fashion-mnist.md); v2 with its defaults.
    // Batch size: the dataset's size picks it (256 at 20 000 images, the peer's).
    const flags =
      recipe === 'paper'
        ? ['--recipe', 'paper', '--k', '100', '--pca', '64', '--sampler', 'official']
        : ['--recipe', recipe];
    const args = [
      cli,
      'train',
      '--data',
      trainFile,
      '--limit',
      nTrain,
      '--epochs',
      epochs[recipe] ?? '10',
      '--backend',
      values.backend!,
      '--seed',
      '31',
      '--out',
      out,
      '--json',
      ...flags,
    ];
    console.log(`$ deepcluster ${args.slice(1).join(' ')}`);
    const r: RecipeResult = {
      recipe,
      command: `deepcluster ${args.slice(1).join(' ')}`,
      wallSeconds: 0,
      epochs: [],
      phaseSeconds: {},
      evalSeconds: 0,
      device: '',
    };
    const t0 = performance.now();
    await run(args, (e) => {
      if (e.type === 'epoch') {
        r.epochs.push(e.metrics);
        console.log(
          `  ${recipe} epoch ${e.metrics.epoch}: loss ${e.metrics.loss.toFixed(3)}  NMI(labels) ${e.metrics.nmiLabels?.toFixed(3)}  ${e.metrics.seconds.epoch.toFixed(0)} s`,
        );
      }
      if (e.type === 'initialClustering') r.initialNmi = e.metrics.nmiLabels;
      if (e.type === 'start') r.device = `${e.engine.backend} on ${e.engine.device}`;
    });
    r.wallSeconds = (performance.now() - t0) / 1000;
    for (const m of r.epochs)
      for (const [phase, s] of Object.entries(m.seconds))
        if (phase !== 'epoch') r.phaseSeconds[phase] = (r.phaseSeconds[phase] ?? 0) + (s ?? 0);
    if (!values['no-eval']) {
      const t1 = performance.now();
      const evalArgs = [
        cli,
        'eval',
        out,
        '--test',
        testFile,
        '--test-limit',
        nTest,
        '--backend',
        values.backend!,
        '--json',
      ];
      const evalOut = await run(evalArgs);
      r.evalSeconds = (performance.now() - t1) / 1000;
      r.report = (JSON.parse(evalOut.trim().split('\n').pop()!) as { report: QualityReport }).report;
    }
    results.push(r);
  }
  const f = (v: number | undefined, d = 3) => (v === undefined ? '-' : v.toFixed(d));
  const lines = [
    `| features | kNN-20 test acc | k-means k=10 NMI (5 seeds) | linear probe | train wall s | s/epoch (train, clustering, features) |`,
    `|---|---|---|---|---|---|`,
  ];
  for (const r of results) {
    for (const row of r.report?.rows ?? []) {
      if (row.features === 'pixels' && r !== results[0]) continue; // pixels once; each recipe's own untrained network
      const arch = row.features === 'pixels' ? '' : ` (${r.recipe === 'paper' ? 'smallvgg' : 'resnet'})`;
      const name = row.features === 'trained' ? `${r.recipe}, ${r.epochs.length} epochs` : `${row.features}${arch}`;
      const per = r.epochs.length ? (k: string) => f((r.phaseSeconds[k] ?? 0) / r.epochs.length, 1) : () => '-';
      lines.push(
        `| ${name} | ${f(row.knn20)} | ${f(row.kmeansNmi)} ± ${f(row.kmeansNmiStd)} | ${f(row.linearProbe)} | ${row.features === 'trained' ? f(r.wallSeconds, 0) : '-'} | ${row.features === 'trained' ? `${per('training')}, ${per('clustering')}, ${per('features')}` : '-'} |`,
      );
    }
  }
  console.log('');
  console.log(lines.join('\n'));
  for (const r of results) {
    const nmis = r.epochs.map((m) => f(m.nmiLabels)).join(' ');
    console.log(
      `${r.recipe}: NMI vs labels per epoch ${r.initialNmi !== undefined ? `(before training ${f(r.initialNmi)}) ` : ''}${nmis}; ${r.device}`,
    );
  }
  if (results.length === 2) {
    const perImage = (r: RecipeResult) =>
      r.epochs.reduce((s, m) => s + m.seconds.epoch, 0) / r.epochs.length / Number(nTrain);
    const [a, b] = results;
    console.log(
      `epoch time per image: ${a.recipe} ${(1000 * perImage(a)).toFixed(2)} ms, ${b.recipe} ${(1000 * perImage(b)).toFixed(2)} ms (${(perImage(a) / perImage(b)).toFixed(2)}x)`,
    );
  }
  console.log(
    `load after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; runs in ${outRoot}`,
  );
  if (values.json) writeFileSync(values.json, JSON.stringify({ nTrain, nTest, results }, null, 1));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
