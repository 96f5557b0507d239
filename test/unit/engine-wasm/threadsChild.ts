// Child process of threads.test.ts: the wasm backend's thread count is fixed once per process, so each count
// gets its own process. Prints one JSON line: threads in use, the note, smallvgg features before and after one
// training step, and the step's loss. It ends WITHOUT process.exit: the parent checks that Node exits by itself.
// Usage: tsx threadsChild.ts THREADS [no-temp-folder]   (the second makes the threaded start fail: fallback test)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { activateWasm } from '../../../src/trainer/engine/wasmBackend';
import { createModel } from '../../../src/trainer/model';
import { bodyOptimizer, topOptimizer } from '../../../src/trainer/train/sgd';
import { trainStep } from '../../../src/trainer/train/step';
import { randomValues } from './backends';

async function main(): Promise<void> {
  // os.tmpdir() follows TMPDIR; set here, after tsx has set up its own cache there.
  if (process.argv[3] === 'no-temp-folder') process.env.TMPDIR = '/dev/null/no-such-folder';
  const started = await activateWasm(Number(process.argv[2]));
  const n = 16;
  const model = createModel({ arch: 'smallvgg', inputSize: 32, inputChannels: 1, sobel: false, seed: 1 });
  model.resetTopLayer(10, 2);
  model.setDropoutSeed(3);
  const optimizers = {
    body: bodyOptimizer(model, { lr: 0.05, momentum: 0.9, weightDecay: 1e-5 }),
    top: topOptimizer(model, { lr: 0.05, weightDecay: 1e-5 }),
  };
  const x = tf.tensor4d(randomValues(n * 32 * 32, 7), [n, 32, 32, 1]);
  const labels = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 10),
    'int32',
  );
  const before = Array.from(await model.features(x).data());
  const loss = await trainStep(model, x, labels, optimizers);
  const after = Array.from(await model.features(x).data());
  process.stdout.write(`${JSON.stringify({ ...started, loss, before, after })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
