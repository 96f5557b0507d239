// The SIMD heap loops (assembly/heapSimd.ts) against the JavaScript routes (the JavaScript loops; im2col x XNNPACK
// for the filter gradient), in one process: a smallvgg training
// step at the peer's setting (28x28x1, batch 256), then each conv layer's filter gradient, alternating SIMD on and
// off, median of `--iters` each.
// Usage: node dist/bench/heap-simd.js [--iters 3] [--batch 256] [--size 28] [--threads N]
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initEngine } from '../trainer/engine';
import { heapSimdActive, setHeapSimd } from '../trainer/engine/wasm/heapPool';
import { smallvggStep } from './smallvggStep';
import { median } from './timing';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const iters = Number(arg('iters', '3'));
  const batch = Number(arg('batch', '256'));
  const size = Number(arg('size', '28'));
  const threads = process.argv.includes('--threads') ? Number(arg('threads', '0')) : undefined;
  const engine = await initEngine('wasm', threads ? { threads } : {});
  const backend = tf.backend() as BackendWasm;
  if (!heapSimdActive(backend)) throw new Error('heapSimd.wasm is not loaded: run npm run build');
  console.log(`wasm (${engine.device}), smallvgg ${size}x${size}x1, batch ${batch}, ${iters} steps each way`);

  const bench = smallvggStep(batch, size);
  const step = bench.step;
  await step();
  const times = { simd: [] as number[], js: [] as number[] };
  for (let i = 0; i < iters; i++) {
    for (const mode of ['simd', 'js'] as const) {
      setHeapSimd(mode === 'simd');
      times[mode].push(await step());
    }
  }
  const [s, j] = [median(times.simd), median(times.js)];
  console.log(`training step: SIMD ${s.toFixed(0)} ms, JavaScript ${j.toFixed(0)} ms, ${(j / s).toFixed(2)}x`);
  bench.dispose();
  await filterGradients(batch, size, iters);
}

/** The filter gradient of each smallvgg conv layer at this input size, both routes alternating. */
async function filterGradients(batch: number, size: number, iters: number): Promise<void> {
  console.log(
    '\n| conv filter gradient (batch ' + batch + ') | SIMD ms | im2col x XNNPACK ms | ratio |\n|---|---|---|---|',
  );
  const layers: Array<[number, number, number]> = [
    [size, 2, 64],
    [size, 64, 64],
    [size / 2, 64, 128],
    [size / 2, 128, 128],
    [size / 4, 128, 256],
  ];
  for (const [hw, ci, co] of layers) {
    const x = tf.randomNormal([batch, hw, hw, ci]);
    const dy = tf.randomNormal([batch, hw, hw, co]);
    const run = async (): Promise<number> => {
      const t0 = performance.now();
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: [1, 1],
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, ci, co],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      await dw.data();
      dw.dispose();
      return performance.now() - t0;
    };
    const times = { simd: [] as number[], js: [] as number[] };
    for (let i = 0; i <= iters; i++) {
      for (const mode of ['simd', 'js'] as const) {
        setHeapSimd(mode === 'simd');
        const ms = await run();
        if (i > 0) times[mode].push(ms); // the first of each is a warm-up
      }
    }
    const [s, j] = [median(times.simd), median(times.js)];
    console.log(`| ${ci} -> ${co}, ${hw}x${hw} | ${s.toFixed(0)} | ${j.toFixed(0)} | ${(j / s).toFixed(2)}x |`);
    tf.dispose([x, dy]);
  }
  setHeapSimd(true);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
