// node dist/bench/pretrained.js [--arch alexnet,vgg16,resnet50] [--images 32] [--batch 16] [--backend wasm] [--checkpoint F]
// The feature pass of `embed` and `cluster` per architecture at 224 px (Sobel as released): images/s over `images`
// random-normal inputs after one warm-up batch (the weights' values do not change the speed). With
// --checkpoint, also the time to read a PyTorch checkpoint and build our model from it.
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import type { ArchName, BackendRequest } from '../protocol/config';
import { initEngine } from '../trainer/engine';
import { createModel } from '../trainer/model';
import { loadDeepClusterModel, readPytorchCheckpoint } from '../trainer/model/pytorch';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'alexnet,vgg16' },
    images: { type: 'string', default: '32' },
    batch: { type: 'string', default: '16' },
    backend: { type: 'string', default: 'wasm' },
    checkpoint: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const engine = await initEngine(values.backend as BackendRequest);
  console.log(`engine ${engine.backend} on ${engine.device}`);
  if (values.checkpoint) {
    const t0 = performance.now();
    const ck = await readPytorchCheckpoint(values.checkpoint);
    const t1 = performance.now();
    const { model, info } = loadDeepClusterModel(ck);
    const t2 = performance.now();
    console.log(
      `${values.checkpoint}: read ${((t1 - t0) / 1000).toFixed(1)} s, model ${info.options.arch} built and loaded ${((t2 - t1) / 1000).toFixed(1)} s`,
    );
    model.dispose();
  }
  const n = Number(values.images);
  const b = Number(values.batch);
  console.log('| arch | images | batch | create s | images/s |\n|---|---|---|---|---|');
  for (const arch of values.arch!.split(',') as ArchName[]) {
    const t0 = performance.now();
    // The released models: AlexNet / VGG16 with Sobel, DeepCluster-v2's ResNet-50 without.
    const model = createModel({ arch, inputSize: 224, inputChannels: 3, sobel: arch !== 'resnet50', seed: 0 });
    const create = (performance.now() - t0) / 1000;
    const x = tf.randomNormal([b, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    await model.features(x).data(); // warm-up: kernels, allocations
    const t1 = performance.now();
    for (let done = 0; done < n; done += b) {
      const f = model.features(x);
      await f.data();
      f.dispose();
    }
    const rate = (Math.ceil(n / b) * b) / ((performance.now() - t1) / 1000);
    console.log(`| ${arch} | ${Math.ceil(n / b) * b} | ${b} | ${create.toFixed(1)} | ${rate.toFixed(2)} |`);
    x.dispose();
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
