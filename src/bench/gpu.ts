// npm run bench:gpu [-- --short] [--allow-software] [--backends webgpu,tensorflow,wasm] [--json FILE]
// One unattended command (at most 8 minutes) for a GPU machine: for each backend that runs here (webgpu on a
// hardware adapter, tfjs-node(-gpu) when installed, wasm for reference), the forward and training-step time of
// smallvgg and AlexNet, k-means on 100 000 x 256 with k = 1 000, and one DeepCluster epoch (paper recipe) on the
// bundled sample through the real CLI. Prints a table, then the JSON (also written to bench-out/).
// --short: small shapes, a few minutes even on lavapipe (software Vulkan), which it then allows; CI runs it.
// Every item is timed on its own: a failure (a refused binding, a Dawn error, a missing package) is recorded in
// one line and the rest goes on; items past the time budget are skipped with a note.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { ArchName, BackendName } from '../protocol/config';
import type { EpochMetrics } from '../protocol/events';
import { kmeans } from '../trainer/cluster';
import { initEngine, releaseEngine } from '../trainer/engine';
import { wasmMicroBatch } from '../trainer/train/microBatch';
import { findWebgpuAdapter } from '../trainer/engine/webgpuDawn';
import { createModel } from '../trainer/model';
import { bodyOptimizer, topOptimizer } from '../trainer/train/sgd';
import { trainStep } from '../trainer/train/step';
import { trainOneEpoch } from './epochRun';
import { timeIt } from './timing';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    'allow-software': { type: 'boolean', default: false },
    backends: { type: 'string', default: 'webgpu,tensorflow,wasm' },
    json: { type: 'string' },
  },
});

interface Plan {
  models: { model: ArchName; batch: number; size: number; channels: number }[];
  iters: number;
  kmeans: { n: number; d: number; k: number; iterations: number };
  /** Images of the bundled sample for the epoch (undefined: all 10 000), and flags that fit so few. */
  epochImages?: number;
  epochFlags?: string[];
  budgetMs: number;
}

const FULL: Plan = {
  models: [
    { model: 'smallvgg', batch: 256, size: 32, channels: 1 },
    { model: 'alexnet', batch: 32, size: 224, channels: 3 },
  ],
  iters: 3,
  kmeans: { n: 100_000, d: 256, k: 1000, iterations: 20 },
  budgetMs: 7.5 * 60_000,
};
const SHORT: Plan = {
  models: [
    { model: 'smallvgg', batch: 8, size: 28, channels: 1 },
    { model: 'alexnet', batch: 2, size: 63, channels: 3 },
  ],
  iters: 1,
  kmeans: { n: 5000, d: 64, k: 50, iterations: 5 },
  epochImages: 64,
  epochFlags: ['--k', '8', '--pca', '8'],
  budgetMs: 6 * 60_000,
};

type Timed<T> = ({ ok: true } & T) | { ok: false; error: string };
interface BackendResult {
  backend: BackendName;
  device?: string;
  skipped?: string;
  models: (Timed<{ forwardMs: number; trainStepMs: number }> & { model: ArchName; batch: number; input: string })[];
  kmeans?: Timed<{ ms: number; objective: number }> & { shape: string };
  epoch?: Timed<{ seconds: EpochMetrics['seconds'] }> & { images: string };
}

const plan = values.short ? SHORT : FULL;
const allowSoftware = values.short || values['allow-software'];
const started = performance.now();
const overBudget = () => performance.now() - started > plan.budgetMs;
const oneLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function attempt<T>(f: () => Promise<T>): Promise<Timed<T>> {
  if (overBudget()) return { ok: false, error: `skipped: past the ${plan.budgetMs / 60_000} min budget` };
  try {
    return { ok: true, ...(await f()) };
  } catch (e) {
    return { ok: false, error: oneLine(e) };
  }
}

async function timeModel(backend: BackendName, m: Plan['models'][number]) {
  const net = createModel({ arch: m.model, inputSize: m.size, inputChannels: m.channels, sobel: false, seed: 1 });
  const x = tf.randomNormal([m.batch, m.size, m.size, m.channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: m.batch }, (_, i) => i % 100),
    'int32',
  );
  net.resetTopLayer(100, 2);
  const optimizers = {
    body: bodyOptimizer(net, { lr: 0.01, momentum: 0.9, weightDecay: 1e-5 }),
    top: topOptimizer(net, { lr: 0.01, weightDecay: 1e-5 }),
  };
  try {
    const forwardMs = await timeIt(plan.iters, async () => {
      const f = net.features(x);
      await f.data();
      f.dispose();
    });
    const microBatch = backend === 'wasm' ? wasmMicroBatch(net.summary(), m.batch) : undefined;
    const trainStepMs = await timeIt(
      plan.iters,
      async () => void (await trainStep(net, x, labels, optimizers, { microBatch })),
    );
    return { forwardMs: Math.round(forwardMs), trainStepMs: Math.round(trainStepMs) };
  } finally {
    tf.dispose([x, labels]);
    optimizers.body.dispose();
    net.dispose();
  }
}

async function timeKmeans() {
  const { n, d, k, iterations } = plan.kmeans;
  const data = new Float32Array(n * d);
  let s = 12345;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5;
  const t = performance.now();
  const r = await kmeans({ data, n, d }, k, { iterations, seed: 31 });
  return { ms: Math.round(performance.now() - t), objective: r.finalObjective };
}

/** One paper-recipe epoch of the bundled sample through the CLI (epochRun.ts stops it once the epoch is written). */
async function timeEpoch(backend: BackendName): Promise<{ seconds: EpochMetrics['seconds'] }> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-gpu-'));
  const args = [
    '--recipe',
    'paper',
    '--arch',
    'smallvgg',
    '--backend',
    backend,
    '--cache',
    join(dir, 'cache'),
    ...(plan.epochImages ? ['--limit', String(plan.epochImages)] : []),
    ...(plan.epochFlags ?? []),
  ];
  try {
    const m = await trainOneEpoch(join(__dirname, '..', 'trainer', 'cli.js'), join(dir, 'run'), args, {
      stopEarly: overBudget,
    });
    return { seconds: m.seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runBackend(backend: BackendName): Promise<BackendResult> {
  const result: BackendResult = { backend, models: [] };
  if (backend === 'webgpu') {
    const adapter = await findWebgpuAdapter().catch((e: unknown) => oneLine(e));
    if (typeof adapter === 'string') return { ...result, skipped: adapter };
    if (adapter.software && !allowSoftware)
      return { ...result, skipped: `software adapter (${adapter.name}); --allow-software or --short to run it` };
  }
  try {
    result.device = (await initEngine(backend, { allowSoftware })).device;
  } catch (e) {
    return { ...result, skipped: oneLine(e) };
  }
  console.log(`${backend}: ${result.device}`);
  for (const m of plan.models) {
    const r = await attempt(() => timeModel(backend, m));
    result.models.push({ model: m.model, batch: m.batch, input: `${m.size}x${m.size}x${m.channels}`, ...r });
    console.log(
      `  ${m.model} batch ${m.batch}: ${r.ok ? `forward ${r.forwardMs} ms, training step ${r.trainStepMs} ms` : r.error}`,
    );
  }
  const { n, d, k, iterations } = plan.kmeans;
  result.kmeans = { shape: `${n} x ${d}, k = ${k}, ${iterations} iterations`, ...(await attempt(timeKmeans)) };
  console.log(`  k-means ${result.kmeans.shape}: ${result.kmeans.ok ? `${result.kmeans.ms} ms` : result.kmeans.error}`);
  releaseEngine();
  result.epoch = {
    images: plan.epochImages ? `${plan.epochImages} of the bundled sample` : 'the bundled sample (10 000)',
    ...(await attempt(() => timeEpoch(backend))),
  };
  console.log(
    `  epoch (${result.epoch.images}): ${result.epoch.ok ? `${result.epoch.seconds.epoch.toFixed(1)} s` : result.epoch.error}`,
  );
  return result;
}

function table(results: BackendResult[]): string {
  const cell = (r: { ok: boolean; error?: string } | undefined, f: () => string) =>
    !r ? '-' : r.ok ? f() : `(${r.error})`;
  const lines = ['| backend | device | workload | forward ms | training step ms / total |', '|---|---|---|---|---|'];
  for (const r of results) {
    if (r.skipped) {
      lines.push(`| ${r.backend} | - | skipped: ${r.skipped} | | |`);
      continue;
    }
    for (const m of r.models)
      lines.push(
        `| ${r.backend} | ${r.device} | ${m.model} ${m.input} batch ${m.batch} | ${cell(m, () => String((m as { forwardMs: number }).forwardMs))} | ${cell(m, () => String((m as { trainStepMs: number }).trainStepMs))} |`,
      );
    lines.push(
      `| ${r.backend} | ${r.device} | k-means ${r.kmeans?.shape} | | ${cell(r.kmeans, () => `${(r.kmeans as { ms: number }).ms} ms`)} |`,
    );
    const e = r.epoch as { seconds?: EpochMetrics['seconds'] } | undefined;
    lines.push(
      `| ${r.backend} | ${r.device} | epoch, ${r.epoch?.images} | | ${cell(r.epoch, () => `${e!.seconds!.epoch.toFixed(1)} s (features ${e!.seconds!.features?.toFixed(1)}, clustering ${e!.seconds!.clustering?.toFixed(1)}, training ${e!.seconds!.training?.toFixed(1)})`)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    tfjs: tf.version_core,
    loadAverageStart: loadavg(),
    date: new Date().toISOString(),
    mode: values.short ? 'short' : 'full',
  };
  console.log(
    `bench:gpu (${machine.mode}): ${machine.cpu}, ${machine.cores} cores, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const results: BackendResult[] = [];
  for (const b of values.backends!.split(',') as BackendName[]) results.push(await runBackend(b));
  const wallSeconds = Math.round((performance.now() - started) / 1000);
  console.log(
    `\n${table(results)}\n\nwall time ${wallSeconds} s; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const json = JSON.stringify({ machine: { ...machine, loadAverageEnd: loadavg() }, wallSeconds, results }, null, 2);
  const out =
    values.json ?? join(resolve(__dirname, '..', '..'), 'bench-out', `gpu-${machine.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, json + '\n');
  console.log(`${json}\n(written to ${out})`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench:gpu: ${e instanceof Error ? e.stack : e}`);
    process.exit(1);
  },
);
