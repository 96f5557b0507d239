// node dist/bench/webgpu-profile.js [--arch smallvgg] [--batch 32] [--size 28] [--top 12] [--filter-grad gemm|tfjs]
// One training step on webgpu (software adapters allowed: lavapipe is what CI has), per kernel from tfjs's
// profiler (the adapter's timestamp queries), each kernel's time set against its multiply-adds: GFLOP/s per
// kernel and shape. A kernel far below the step's own rate does its work badly on any GPU (a naive shader, a
// serial reduction), not just on a software one. Prints the worst kernels by time and by rate.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { ArchName } from '../protocol/config';
import { initEngine, releaseEngine } from '../trainer/engine';
import { setFilterGradAsGemm } from '../trainer/engine/webgpuFilterGrad';
import { createModel } from '../trainer/model';
import { bodyOptimizer, topOptimizer } from '../trainer/train/sgd';
import { trainStep } from '../trainer/train/step';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'smallvgg' },
    batch: { type: 'string', default: '32' },
    size: { type: 'string', default: '28' },
    top: { type: 'string', default: '12' },
    // tfjs: tfjs-backend-webgpu's own Conv2DBackpropFilter shader instead of ours (webgpuFilterGrad.ts), to compare.
    'filter-grad': { type: 'string', default: 'gemm' },
  },
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Floating-point operations of a kernel from its shapes (2 per multiply-add); elementwise ops count one per output. */
export function kernelFlops(name: string, inputs: number[][], outputs: number[][]): number {
  const out = outputs[0] ?? [];
  if (name === 'Conv2D' || name === 'FusedConv2D') return 2 * size(out) * inputs[1][0] * inputs[1][1] * inputs[1][2];
  if (name === 'Conv2DBackpropInput') return 2 * size(inputs[0]) * inputs[1][0] * inputs[1][1] * inputs[1][2];
  // dW [kh, kw, in, out] from x and dy: every dy element meets kh * kw * in inputs.
  if (name === 'Conv2DBackpropFilter') return 2 * size(inputs[1]) * out[0] * out[1] * out[2];
  if (name === 'BatchMatMul' || name === '_FusedMatMul') {
    const n = out[out.length - 1];
    return 2 * size(out) * ((size(inputs[0]) * n) / size(out));
  }
  return size(out);
}

/**
 * Re-registers webgpu's `name` kernel so that each call made while profiling records which of the profile's kernels
 * ran inside it: [first, end) and the index its own entry will get (tfjs records a kernel after the ones it ran).
 */
function traceComposite(name: string): { calls: [number, number, number][] } {
  const trace = { calls: [] as [number, number, number][] };
  const kernel = tf.getKernel(name, 'webgpu');
  if (!kernel) return trace;
  const state = (tf.engine() as unknown as { state: { activeProfile?: { kernels: unknown[] }; profiling: boolean } })
    .state;
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({
    ...kernel,
    kernelFunc: (args) => {
      const start = state.activeProfile?.kernels.length ?? 0;
      const out = kernel.kernelFunc(args);
      const end = state.activeProfile?.kernels.length ?? 0;
      if (state.profiling) trace.calls.push([start, end, end]);
      return out;
    },
  });
  return trace;
}

async function main(): Promise<void> {
  const batch = Number(values.batch),
    s = Number(values.size);
  const engine = await initEngine('webgpu', { allowSoftware: true });
  console.log(
    `webgpu on ${engine.device}; ${values.arch}, batch ${batch}, ${s} px; filter gradient: ${values['filter-grad']}`,
  );
  const model = createModel({
    arch: values.arch as ArchName,
    inputSize: s,
    inputChannels: values.arch === 'alexnet' ? 3 : 1,
    sobel: values.arch !== 'alexnet',
    seed: 1,
  });
  model.resetTopLayer(100, 2);
  const x = tf.randomNormal([batch, s, s, model.options.inputChannels], 0, 1, 'float32', 3) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 100),
    'int32',
  );
  const optimizers = {
    body: bodyOptimizer(model, { lr: 0.01, momentum: 0.9, weightDecay: 1e-5 }),
    top: topOptimizer(model, { lr: 0.01, weightDecay: 1e-5 }),
  };
  setFilterGradAsGemm(values['filter-grad'] !== 'tfjs');
  const inner = traceComposite('Conv2DBackpropFilter');
  await trainStep(model, x, labels, optimizers); // warm-up: shader compilation
  const t = performance.now();
  await trainStep(model, x, labels, optimizers);
  const wall = performance.now() - t;
  const profile = await tf.profile(async () => void (await trainStep(model, x, labels, optimizers)));

  interface Row {
    name: string;
    shapes: string;
    ms: number;
    flops: number;
    calls: number;
  }
  const rows = new Map<string, Row>();
  // A composite kernel's own entry has no time (tfjs times only the programs a kernel runs itself): give it the
  // time of the kernels it ran, and leave those out, so that nothing is counted twice.
  const parentOf = new Map<number, number>();
  for (const [start, end, at] of inner.calls) for (let i = start; i < end; i++) parentOf.set(i, at);
  const innerMs = new Map<number, number>();
  const breakdown = new Map<string, number>();
  profile.kernels.forEach((k, i) => {
    const at = parentOf.get(i);
    if (at === undefined) return;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    innerMs.set(at, (innerMs.get(at) ?? 0) + ms);
    breakdown.set(k.name, (breakdown.get(k.name) ?? 0) + ms);
  });
  for (const [i, k] of profile.kernels.entries()) {
    if (parentOf.has(i)) continue;
    const ms = innerMs.get(i) ?? (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0);
    const shapes = `${k.inputShapes.map((i) => `[${i}]`).join(' ')} -> [${k.outputShapes[0]}]`;
    const key = `${k.name} ${shapes}`;
    const r = rows.get(key) ?? { name: k.name, shapes, ms: 0, flops: 0, calls: 0 };
    r.ms += ms;
    r.flops += kernelFlops(k.name, k.inputShapes, k.outputShapes);
    r.calls++;
    rows.set(key, r);
  }
  const all = [...rows.values()];
  const gpuMs = all.reduce((a, r) => a + r.ms, 0);
  const flops = all.reduce((a, r) => a + r.flops, 0);
  const rate = (r: { ms: number; flops: number }) => (r.ms > 0 ? r.flops / r.ms / 1e6 : NaN);
  console.log(
    `step: wall ${wall.toFixed(0)} ms (unprofiled), kernels ${gpuMs.toFixed(0)} ms, ${(flops / 1e9).toFixed(2)} GFLOP, ${rate({ ms: gpuMs, flops }).toFixed(2)} GFLOP/s overall`,
  );
  if (breakdown.size)
    console.log(
      `Conv2DBackpropFilter runs as other kernels (webgpuFilterGrad.ts); their time in it: ${[...breakdown]
        .sort((a, b) => b[1] - a[1])
        .map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`)
        .join(', ')}`,
    );
  const top = Number(values.top);
  const print = (title: string, list: Row[]) => {
    console.log(
      `\n${title}\n| kernel | shapes | calls | ms | % of kernel time | GFLOP | GFLOP/s |\n|---|---|---|---|---|---|---|`,
    );
    for (const r of list.slice(0, top))
      console.log(
        `| ${r.name} | ${r.shapes} | ${r.calls} | ${r.ms.toFixed(1)} | ${((100 * r.ms) / gpuMs).toFixed(1)} | ${(r.flops / 1e9).toFixed(3)} | ${rate(r).toFixed(2)} |`,
      );
  };
  print(
    'by time',
    [...all].sort((a, b) => b.ms - a.ms),
  );
  const heavy = all.filter((r) => r.flops > 0.01 * flops);
  print(
    'slowest rate among kernels with at least 1% of the FLOPs',
    heavy.sort((a, b) => rate(a) - rate(b)),
  );
  tf.dispose([x, labels]);
  model.dispose();
  releaseEngine();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
