// Where does a training step's time go? Profiles one step (after a warm-up step) per kernel with tf.profile.
// Usage: node dist/bench/profile-step.js [--backend wasm] [--arch smallvgg] [--size 32] [--channels 1]
//        [--batch 64] [--micro-batch N] [--top 20]
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../trainer/engine';
import { createModel } from '../trainer/model';
import type { ArchName, BackendRequest } from '../protocol/config';
import { bodyOptimizer, topOptimizer } from '../trainer/train/sgd';
import { trainStep } from '../trainer/train/step';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const backend = arg('backend', 'wasm') as BackendRequest;
  const arch = arg('arch', 'smallvgg') as ArchName;
  const size = Number(arg('size', '32'));
  const channels = Number(arg('channels', '1'));
  const batch = Number(arg('batch', '64'));
  const microBatch = Number(arg('micro-batch', String(batch)));
  const engine = await initEngine(backend);
  console.log(
    `backend ${engine.backend} (${engine.device}), ${arch} ${size}x${size}x${channels}, batch ${batch}, micro-batch ${microBatch}`,
  );

  const model = createModel({ arch, inputSize: size, inputChannels: channels, sobel: false, seed: 1 });
  model.resetTopLayer(100, 2);
  const optimizers = {
    body: bodyOptimizer(model, { lr: 0.05, momentum: 0.9, weightDecay: 1e-5 }),
    top: topOptimizer(model, { lr: 0.05, weightDecay: 1e-5 }),
  };
  const x = tf.randomNormal([batch, size, size, channels]) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 100),
    'int32',
  );

  const t0 = performance.now();
  await trainStep(model, x, labels, optimizers, { microBatch });
  console.log(`warm-up step ${(performance.now() - t0).toFixed(0)} ms`);
  const t1 = performance.now();
  const profile = await tf.profile(() => trainStep(model, x, labels, optimizers, { microBatch }));
  const total = performance.now() - t1;

  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of profile.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byKernel.set(k.name, e);
  }
  const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(arg('top', '20')));
  const kernelMs = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  console.log(
    `step ${total.toFixed(0)} ms (kernels ${kernelMs.toFixed(0)} ms), peak ${(profile.peakBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  for (const [name, e] of rows) {
    console.log(
      `${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${e.calls} calls`,
    );
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
