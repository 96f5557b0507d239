// Engine benchmark: forward and training-step time of smallvgg (1x32x32, batch 256) and alexnet (3x224x224,
// batch 32) on every available TF.js backend, and the same models in PyTorch on CPU with the same thread count.
// Usage: npm run bench:engine -- [--json FILE] [--backends wasm,webgpu,cpu] [--iters 3] [--models smallvgg,alexnet]
//        [--allow-software] (time webgpu on a software adapter too)
// Warm-up (1 forward, 1 step), then the median of --iters. cpu (the pure-JS oracle, ~100 s a step) runs only when
// listed, forward only, one iteration.
import { timeIt } from './timing';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../trainer/engine';
import { findWebgpuAdapter } from '../trainer/engine/webgpuDawn';
import { createModel } from '../trainer/model';
import { pythonWith } from './python';
import { wasmMicroBatch } from '../trainer/train/microBatch';
import { bodyOptimizer, topOptimizer } from '../trainer/train/sgd';
import { trainStep } from '../trainer/train/step';
import type { ArchName, BackendName } from '../protocol/config';

interface Workload {
  model: ArchName;
  batch: number;
  input: [number, number, number];
}
interface Result {
  backend: BackendName;
  device: string;
  threads?: number;
  model: ArchName;
  batch: number;
  input: [number, number, number];
  microBatch?: number;
  forwardMs: number | null;
  trainStepMs: number | null;
  forwardImagesPerS: number | null;
  trainImagesPerS: number | null;
  note?: string;
}
interface TorchResult {
  model: ArchName;
  batch: number;
  threads: number;
  forwardMs: number;
  trainStepMs: number;
}

const WORKLOADS: Workload[] = [
  { model: 'smallvgg', batch: 256, input: [32, 32, 1] },
  { model: 'alexnet', batch: 32, input: [224, 224, 3] },
];
/** The number of clusters of the top layer during the benchmark. */
const K = 100;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function runWorkload(
  backend: BackendName,
  w: Workload,
  iters: number,
  train: boolean,
): Promise<Omit<Result, 'backend' | 'device' | 'threads'>> {
  const [h, wd, c] = w.input;
  const model = createModel({ arch: w.model, inputSize: h, inputChannels: c, sobel: false, seed: 1 });
  model.resetTopLayer(K, 2);
  const x = tf.randomNormal([w.batch, h, wd, c]) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: w.batch }, (_, i) => i % K),
    'int32',
  );
  const forward = async () => {
    const f = model.features(x);
    await f.data();
    f.dispose();
  };
  const forwardMs = await timeIt(iters, forward);
  let trainStepMs: number | null = null;
  let microBatch: number | undefined;
  if (train) {
    microBatch = backend === 'wasm' ? wasmMicroBatch(model.summary(), w.batch) : w.batch;
    const optimizers = {
      body: bodyOptimizer(model, { lr: 0.05, momentum: 0.9, weightDecay: 1e-5 }),
      top: topOptimizer(model, { lr: 0.05, weightDecay: 1e-5 }),
    };
    const step = async () => void (await trainStep(model, x, labels, optimizers, { microBatch }));
    trainStepMs = await timeIt(iters, step);
    optimizers.body.dispose();
  }
  tf.dispose([x, labels]);
  model.dispose();
  const perS = (ms: number | null) => (ms === null ? null : Math.round((1000 * w.batch) / ms));
  return {
    ...w,
    microBatch,
    forwardMs: Math.round(forwardMs),
    trainStepMs: trainStepMs === null ? null : Math.round(trainStepMs),
    forwardImagesPerS: perS(forwardMs),
    trainImagesPerS: perS(trainStepMs),
  };
}

function runPytorch(workloads: Workload[], threads: number, iters: number): { results: TorchResult[]; note?: string } {
  const python = pythonWith('torch');
  if (!python)
    return {
      results: [],
      note: 'PyTorch not importable (neither /usr/bin/python3 nor python3 can import torch); apt-get install python3-torch',
    };
  const script = [
    join(__dirname, '..', '..', 'src', 'bench', 'pytorch_engine.py'),
    join(process.cwd(), 'src', 'bench', 'pytorch_engine.py'),
  ].find(existsSync);
  if (!script) return { results: [], note: 'src/bench/pytorch_engine.py not found' };
  const results: TorchResult[] = [];
  for (const w of workloads) {
    const r = spawnSync(
      python,
      [
        script,
        '--model',
        w.model,
        '--batch',
        String(w.batch),
        '--size',
        String(w.input[0]),
        '--channels',
        String(w.input[2]),
        '--threads',
        String(threads),
        '--iters',
        String(iters),
        '--k',
        String(K),
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0)
      return { results, note: `PyTorch run failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}` };
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult);
  }
  return { results };
}

async function main(): Promise<void> {
  const iters = Number(arg('iters') ?? 3);
  // --threads N: wasm threads (and so PyTorch's, which always matches wasm's); default all cores.
  const threadsArg = arg('threads') ? Number(arg('threads')) : undefined;
  const backends = (arg('backends') ?? 'tensorflow,webgpu,wasm').split(',') as BackendName[];
  const models = (arg('models') ?? 'smallvgg,alexnet').split(',');
  const workloads = WORKLOADS.filter((w) => models.includes(w.model));
  const jsonPath = arg('json');
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    tfjs: tf.version_core,
    loadAverageStart: loadavg().map((l) => Math.round(l * 100) / 100),
    loadAverageEnd: [] as number[],
    date: new Date().toISOString(),
  };
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverageStart.join(' ')}`);

  const results: Result[] = [];
  const notes: string[] = [];
  let wasmThreads = 1;
  for (const backend of backends) {
    // A software adapter (lavapipe, SwiftShader) takes over 20 minutes here; like `auto`, only when asked.
    if (backend === 'webgpu' && !process.argv.includes('--allow-software')) {
      const adapter = await findWebgpuAdapter().catch(() => undefined);
      if (adapter?.software) {
        notes.push(`webgpu: skipped: software adapter (${adapter.name}); add --allow-software to time it`);
        console.log(`webgpu: skipped: software adapter (${adapter.name}); add --allow-software to time it`);
        continue;
      }
    }
    let engine: Awaited<ReturnType<typeof initEngine>>;
    try {
      engine = await initEngine(backend, threadsArg ? { threads: threadsArg } : {});
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      notes.push(`${backend}: skipped: ${why}`);
      console.log(`${backend}: skipped: ${why}`);
      continue;
    }
    if (backend === 'wasm') wasmThreads = engine.threads ?? 1;
    const train = backend !== 'cpu';
    for (const w of workloads) {
      const r = await runWorkload(backend, w, train ? iters : 1, train);
      const result: Result = { backend, device: engine.device, threads: engine.threads, ...r };
      if (!train) result.note = 'cpu: forward only, one iteration (a training step takes minutes)';
      results.push(result);
      console.log(
        `${backend.padEnd(10)} ${w.model.padEnd(9)} batch ${w.batch}${r.microBatch && r.microBatch < w.batch ? ` (micro ${r.microBatch})` : ''}: forward ${r.forwardMs} ms (${r.forwardImagesPerS} img/s), train step ${r.trainStepMs ?? '-'} ms (${r.trainImagesPerS ?? '-'} img/s)`,
      );
    }
  }
  if (!backends.includes('cpu'))
    notes.push('cpu: not run (pure-JS oracle, ~100 s per training step); add --backends ...,cpu for a forward pass');

  const torch = runPytorch(workloads, wasmThreads, iters);
  if (torch.note) notes.push(torch.note);
  for (const t of torch.results) {
    console.log(
      `pytorch    ${t.model.padEnd(9)} batch ${t.batch}, ${t.threads} threads: forward ${t.forwardMs} ms, train step ${t.trainStepMs} ms`,
    );
    for (const r of results.filter((x) => x.model === t.model && x.batch === t.batch)) {
      const ratio = (a: number | null, b: number) => (a === null ? '-' : (a / b).toFixed(2));
      console.log(
        `  ratio ${r.backend}/pytorch: forward ${ratio(r.forwardMs, t.forwardMs)}x, train step ${ratio(r.trainStepMs, t.trainStepMs)}x`,
      );
    }
  }
  for (const n of notes) console.log(`note: ${n}`);
  machine.loadAverageEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  console.log(`load average at the end: ${machine.loadAverageEnd.join(' ')}`);
  if (jsonPath)
    writeFileSync(jsonPath, JSON.stringify({ machine, results, pytorch: torch.results, notes }, null, 2) + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
