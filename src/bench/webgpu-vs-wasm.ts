// node dist/bench/webgpu-vs-wasm.js [--arch alexnet] [--size 224] [--batch 2] [--steps 2]
// A few of the trainer's training steps on wasm, then on webgpu at the adapter's own binding limit (lavapipe
// allowed), from the same seeded weights: the losses, the time of each step, how fc6 and fc7 were split
// (model/denseShards.ts), and fc6 after the steps against wasm's. The manual check that AlexNet at 224 px trains
// on lavapipe's 128 MiB limit, too slow for `npm test`.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { ArchName } from '../protocol/config';
import { initEngine, releaseEngine } from '../trainer/engine';
import { webgpuBindingLimit } from '../trainer/engine/webgpuGuard';
import { createModel } from '../trainer/model';
import { mergeShards } from '../trainer/model/denseShards';
import { bodyOptimizer, topOptimizer } from '../trainer/train/sgd';
import { trainStep } from '../trainer/train/step';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'alexnet' },
    size: { type: 'string', default: '224' },
    batch: { type: 'string', default: '2' },
    steps: { type: 'string', default: '2' },
  },
});
const arch = values.arch as ArchName;
const size = Number(values.size);
const batch = Number(values.batch);
const steps = Number(values.steps);

async function run() {
  const model = createModel({ arch, inputSize: size, inputChannels: 3, sobel: true, seed: 7 });
  model.resetTopLayer(100, 8);
  model.setDropoutSeed(9);
  const x = tf.tensor4d(
    Float32Array.from({ length: batch * size * size * 3 }, (_, i) => Math.sin(i * 0.013) + 0.5 * Math.cos(i * 0.0071)),
    [batch, size, size, 3],
  );
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => (i * 37) % 100),
    'int32',
  );
  const optimizers = {
    body: bodyOptimizer(model, { lr: 0.01, momentum: 0.9, weightDecay: 1e-5 }),
    top: topOptimizer(model, { lr: 0.01, weightDecay: 1e-5 }),
  };
  const losses: number[] = [];
  const ms: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t = performance.now();
    losses.push(await trainStep(model, x, labels, optimizers));
    ms.push(Math.round(performance.now() - t));
  }
  const dense = [...model.namedWeights().keys()].filter((n) => /^fc\d\.weight/.test(n));
  const { merged, created } = await mergeShards(model.namedWeights());
  const fc6 = (await merged.get('fc6.weight')!.data()) as Float32Array;
  tf.dispose([x, labels, ...created]);
  optimizers.body.dispose();
  model.dispose();
  return { losses, ms, dense, fc6 };
}

async function main(): Promise<void> {
  const line = (backend: string, r: Awaited<ReturnType<typeof run>>) =>
    console.log(
      `${backend}: losses ${r.losses.map((l) => l.toFixed(6)).join(' ')}; step ms ${r.ms.join(' ')}; ${r.dense.join(' ')}`,
    );
  await initEngine('wasm');
  const wasm = await run();
  line('wasm', wasm);
  const info = await initEngine('webgpu', { allowSoftware: true });
  console.log(`webgpu on ${info.device}, binding limit ${((webgpuBindingLimit() ?? 0) / 2 ** 20).toFixed(1)} MiB`);
  const gpu = await run();
  line('webgpu', gpu);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < wasm.fc6.length; i++) {
    diff = Math.max(diff, Math.abs(wasm.fc6[i] - gpu.fc6[i]));
    scale = Math.max(scale, Math.abs(wasm.fc6[i]));
  }
  const lossDiff = Math.max(...gpu.losses.map((l, i) => Math.abs(l - wasm.losses[i])));
  console.log(
    `max loss difference ${lossDiff.toExponential(1)}; fc6 after ${steps} steps: max |webgpu - wasm| ${diff.toExponential(2)} (${(diff / scale).toExponential(1)} of max |w|)`,
  );
  releaseEngine();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
