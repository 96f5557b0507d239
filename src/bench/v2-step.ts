// Time and profile of one v2 training step (multi-crop forward, projection head, prototype losses, SGD), after a
// warm-up step, per kernel with tf.profile. Usage:
//   node dist/bench/v2-step.js [--backend wasm] [--size 28] [--channels 1] [--batch 128] [--small 2] [--top 15]
import * as tf from '@tensorflow/tfjs-core';
import type { BackendRequest } from '../protocol/config';
import { multiCropBatch, multiCropFor } from '../trainer/data/multiCrop';
import { initEngine } from '../trainer/engine';
import { createModel } from '../trainer/model';
import { ProjectionHead } from '../trainer/model/projectionHead';
import { namedParameters, Sgd } from '../trainer/train/sgd';
import { v2TrainStep } from '../trainer/train/v2/step';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const engine = await initEngine(arg('backend', 'wasm') as BackendRequest);
  const size = Number(arg('size', '28'));
  const channels = Number(arg('channels', '1'));
  const batch = Number(arg('batch', '128'));
  const small = Number(arg('small', '2'));
  const k = 100;
  const model = createModel({ arch: 'resnet', inputSize: size, inputChannels: channels, sobel: false, seed: 1 });
  const head = new ProjectionHead({
    inputDim: model.featureDim,
    hiddenDim: 512,
    outputDim: 128,
    prototypes: [k, k, k],
    seed: 1,
  });
  const params = namedParameters(model, 'body');
  head.variables().forEach((v, i) => params.set(`head${i}`, v));
  const optimizer = new Sgd(params, { lr: 0.1, momentum: 0.9, weightDecay: 1e-5 });
  const crops = multiCropFor(size, small);
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const u8 = Uint8Array.from({ length: batch * size * size * channels }, () => Math.floor(random() * 256));
  const targets = [0, 1, 2].map(() => Int32Array.from({ length: batch }, (_, i) => i % k));
  const step = async () => {
    const c = multiCropBatch(
      u8,
      batch,
      size,
      channels,
      { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], source: 'computed' },
      crops,
      random,
    );
    const r = await v2TrainStep(model, head, c, targets, optimizer, 0.1);
    tf.dispose([c.large, ...(c.small ? [c.small] : [])]);
    return r;
  };
  await step();
  const t0 = performance.now();
  const tCrop0 = performance.now();
  multiCropBatch(
    u8,
    batch,
    size,
    channels,
    { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], source: 'computed' },
    crops,
    random,
  ).large.dispose();
  const cropMs = performance.now() - tCrop0;
  const profile = await tf.profile(async () => {
    await step();
    return [];
  });
  const total = performance.now() - t0;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const kr of profile.kernels) {
    const e = byKernel.get(kr.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof kr.kernelTimeMs === 'number' ? kr.kernelTimeMs : 0;
    e.calls++;
    byKernel.set(kr.name, e);
  }
  const kernelMs = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  console.log(
    `${engine.backend} (${engine.device}); resnet ${size}px x${channels}, batch ${batch}, crops 2 x ${size} + ${small} x ${crops.small.size}`,
  );
  console.log(
    `step ${total.toFixed(0)} ms (kernels ${kernelMs.toFixed(0)} ms, crops ~${cropMs.toFixed(0)} ms), ${(batch / (total / 1000)).toFixed(0)} images/s`,
  );
  for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(arg('top', '15')))) {
    console.log(
      `${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${e.calls} calls`,
    );
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
