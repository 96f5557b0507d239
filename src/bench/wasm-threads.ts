// wasm backend thread scaling: smallvgg (1x32x32) forward at batch 256 and training step at batch 128, with 1, 2,
// ... XNNPACK threads, and smallvgg's largest convolution alone (conv2: 64->64, 3x3, 32x32, batch 256), whose
// one op is long enough that the per-op hand-off between threads costs nothing. cpu/wall is the process's CPU
// time over wall time during the forward pass: near the thread count when the threads get cores, near 1 when the
// machine is too busy to give them any. The thread count is fixed once per process, so each count runs in a child process, one
// after the other, in the same command. Usage: node dist/bench/wasm-threads.js [--threads 1,2] [--iters 2]
import { timeIt } from './timing';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { activateWasm } from '../trainer/engine/wasmBackend';
import { createModel } from '../trainer/model';
import { bodyOptimizer, topOptimizer } from '../trainer/train/sgd';
import { trainStep } from '../trainer/train/step';

interface Timing {
  threads: number;
  note?: string;
  convMs: number;
  forwardMs: number;
  stepMs: number;
  forwardCpuPerWall: number;
}

const FORWARD_BATCH = 256;
const STEP_BATCH = 128;
const K = 100;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function child(threads: number, iters: number): Promise<Timing> {
  const started = await activateWasm(threads);
  const model = createModel({ arch: 'smallvgg', inputSize: 32, inputChannels: 1, sobel: false, seed: 1 });
  model.resetTopLayer(K, 2);
  const optimizers = {
    body: bodyOptimizer(model, { lr: 0.05, momentum: 0.9, weightDecay: 1e-5 }),
    top: topOptimizer(model, { lr: 0.05, weightDecay: 1e-5 }),
  };
  const xf = tf.randomNormal([FORWARD_BATCH, 32, 32, 1]) as tf.Tensor4D;
  const xs = tf.randomNormal([STEP_BATCH, 32, 32, 1]) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: STEP_BATCH }, (_, i) => i % K),
    'int32',
  );
  const conv2 = [
    tf.randomNormal([FORWARD_BATCH, 32, 32, 64]) as tf.Tensor4D,
    tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D,
  ] as const;
  const convMs = await timeIt(iters, async () => {
    const y = tf.conv2d(conv2[0], conv2[1], 1, 'same');
    await y.data();
    y.dispose();
  });
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const forwardMs = await timeIt(iters, async () => {
    const f = model.features(xf);
    await f.data();
    f.dispose();
  });
  const cpu = process.cpuUsage(cpu0);
  const forwardCpuPerWall = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
  const stepMs = await timeIt(iters, async () => {
    await trainStep(model, xs, labels, optimizers);
  });
  return { threads: started.threads, note: started.threadsNote, convMs, forwardMs, stepMs, forwardCpuPerWall };
}

function main(): void {
  const iters = Number(arg('iters', '2'));
  const counts = arg('threads', '1,2').split(',').map(Number);
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const rows: Timing[] = [];
  for (const threads of counts) {
    const r = spawnSync(process.execPath, [__filename, '--child', String(threads), '--iters', String(iters)], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`child with ${threads} threads failed: ${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as Timing);
  }
  console.log(
    `smallvgg 1x32x32, median of ${iters} after a warm-up; load average ${load} -> ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log('threads  conv2 (ms)  vs 1  forward b256 (ms)  vs 1  cpu/wall  step b128 (ms)  vs 1');
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
  for (const r of rows) {
    console.log(
      `${String(r.threads).padStart(7)}  ${r.convMs.toFixed(0).padStart(10)}  ${ratio(rows[0].convMs, r.convMs)}` +
        `  ${r.forwardMs.toFixed(0).padStart(17)}  ${ratio(rows[0].forwardMs, r.forwardMs)}  ${r.forwardCpuPerWall.toFixed(2).padStart(8)}` +
        `  ${r.stepMs.toFixed(0).padStart(14)}  ${ratio(rows[0].stepMs, r.stepMs)}${r.note ? `  (${r.note})` : ''}`,
    );
  }
}

if (process.argv.includes('--child')) {
  child(Number(arg('child', '1')), Number(arg('iters', '2')))
    .then((t) => process.stdout.write(`${JSON.stringify(t)}\n`))
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
} else {
  main();
}
