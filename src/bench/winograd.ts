// Winograd F(2x2, 3x3) convolutions (conv2dWinograd.ts) against XNNPACK's direct convolution, in one process,
// alternating: a smallvgg training step at the peer's setting (28x28x1 with Sobel, batch 256), the eval-mode
// feature pass of one batch, then each 3x3 conv layer's forward convolution and filter gradient. Median of `--iters` each way.
// Usage: node dist/bench/winograd.js [--iters 3] [--batch 256] [--size 28] [--threads N]
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initEngine } from '../trainer/engine';
import { heapSimdActive } from '../trainer/engine/wasm/heapPool';
import { setWinograd } from '../trainer/engine/wasm/conv2dWinograd';
import { smallvggStep } from './smallvggStep';
import { median } from './timing';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Median ms of `run` with the Winograd route on and off, alternating, after one warm-up each. */
async function onOff(iters: number, run: () => Promise<void>): Promise<{ on: number; off: number }> {
  const times = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i <= iters; i++) {
    for (const mode of ['on', 'off'] as const) {
      setWinograd(mode === 'on');
      const t0 = performance.now();
      await run();
      if (i > 0) times[mode].push(performance.now() - t0);
    }
  }
  setWinograd(true);
  return { on: median(times.on), off: median(times.off) };
}

const row = (label: string, t: { on: number; off: number }) =>
  `| ${label} | ${t.on.toFixed(0)} | ${t.off.toFixed(0)} | ${(t.off / t.on).toFixed(2)}x |`;

async function main(): Promise<void> {
  const iters = Number(arg('iters', '3'));
  const batch = Number(arg('batch', '256'));
  const size = Number(arg('size', '28'));
  const threads = process.argv.includes('--threads') ? Number(arg('threads', '0')) : undefined;
  const engine = await initEngine('wasm', threads ? { threads } : {});
  if (!heapSimdActive(tf.backend() as BackendWasm)) throw new Error('heapSimd.wasm is not loaded: run npm run build');
  console.log(`wasm (${engine.device}), smallvgg ${size}x${size}x1 with Sobel, batch ${batch}, ${iters} runs each way`);
  console.log('\n| (ms) | Winograd | XNNPACK direct | ratio |\n|---|---|---|---|');

  const { model, x, step, dispose } = smallvggStep(batch, size);
  console.log(
    row(
      'training step',
      await onOff(iters, async () => {
        await step();
      }),
    ),
  );
  console.log(
    row(
      'feature pass, one batch (eval)',
      await onOff(iters, async () => {
        const f = model.features(x);
        await f.data();
        f.dispose();
      }),
    ),
  );
  dispose();

  const layers: Array<[number, number, number]> = [
    [size, 64, 64],
    [size / 2, 64, 128],
    [size / 2, 128, 128],
    [size / 4, 128, 256],
  ];
  for (const [hw, ci, co] of layers) {
    const input = tf.randomNormal([batch, hw, hw, ci]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, ci, co]) as tf.Tensor4D;
    const t = await onOff(iters, async () => {
      const y = tf.conv2d(input, w, 1, 'same');
      await y.data();
      y.dispose();
    });
    console.log(row(`conv ${ci} -> ${co}, ${hw}x${hw}`, t));
    const dy = tf.randomNormal([batch, hw, hw, co]) as tf.Tensor4D;
    const g = await onOff(iters, async () => {
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: input, dy }, {
        strides: [1, 1],
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, ci, co],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      await dw.data();
      dw.dispose();
    });
    console.log(row(`filter gradient ${ci} -> ${co}, ${hw}x${hw} (against the direct SIMD kernel)`, g));
    tf.dispose([input, w, dy]);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
