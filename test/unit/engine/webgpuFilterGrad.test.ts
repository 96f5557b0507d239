// The webgpu filter gradient as a GEMM (webgpuFilterGrad.ts) gives the cpu backend's Conv2DBackpropFilter for the
// convolutions the models use and a few they do not (stride 4 with 11x11 as AlexNet's conv1, 1x1, 'same', 'valid',
// explicit padding), chunked over the batch or not; depthwise filter gradients, a separate kernel, are unchanged.
// On lavapipe in CI; skipped where Dawn finds no adapter.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, releaseEngine } from '../../../src/trainer/engine';
import { findWebgpuAdapter } from '../../../src/trainer/engine/webgpuDawn';
import { filterGradAsMatMul, groupsFor, planFilterGrad } from '../../../src/trainer/engine/webgpuFilterGrad';

/** Largest |dW_webgpu - dW_cpu| relative to the largest |dW| (float32 sums in another order). */
const TOLERANCE = 1e-5;

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: Pad;
}
const CASES: Case[] = [
  { name: '3x3 stride 1 same', x: [4, 9, 9, 5], filter: [3, 3, 5, 6], stride: 1, pad: 'same' },
  { name: '3x3 stride 1 valid', x: [3, 10, 8, 4], filter: [3, 3, 4, 7], stride: 1, pad: 'valid' },
  { name: '11x11 stride 4 valid (AlexNet conv1)', x: [2, 35, 35, 3], filter: [11, 11, 3, 8], stride: 4, pad: 'valid' },
  { name: '11x11 stride 4 same', x: [2, 30, 33, 3], filter: [11, 11, 3, 5], stride: 4, pad: 'same' },
  { name: '5x5 stride 4 same', x: [3, 17, 13, 2], filter: [5, 5, 2, 4], stride: 4, pad: 'same' },
  // 32 channels or more: one product per tap (fewer: all taps' columns in one product).
  { name: '3x3 stride 1 same, 32 channels', x: [3, 6, 7, 32], filter: [3, 3, 32, 8], stride: 1, pad: 'same' },
  { name: '3x3 stride 2 valid, 40 channels', x: [2, 9, 9, 40], filter: [3, 3, 40, 12], stride: 2, pad: 'valid' },
  // One image and few outputs: a single product with a long inner size, which tfjs gives its split-K program.
  { name: '3x3 stride 1 same, one 64x64 image', x: [1, 64, 64, 3], filter: [3, 3, 3, 8], stride: 1, pad: 'same' },
  { name: '1x1 stride 1 valid', x: [3, 6, 6, 7], filter: [1, 1, 7, 4], stride: 1, pad: 'valid' },
  { name: '1x1 stride 2 same', x: [2, 7, 7, 5], filter: [1, 1, 5, 3], stride: 2, pad: 'same' },
  {
    name: '3x3 stride 2 explicit padding',
    x: [2, 9, 8, 3],
    filter: [3, 3, 3, 4],
    stride: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 1],
      [0, 0],
    ],
  },
];

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed) * Math.cos(i * 0.117 + 2 * seed));
}

function dyShape(c: Case): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.stride, 1, c.pad);
  return [c.x[0], info.outHeight, info.outWidth, c.filter[3]];
}

async function filterGrad(c: Case): Promise<Float32Array> {
  const x = tf.tensor4d(
    values(
      c.x.reduce((a, b) => a * b),
      1,
    ),
    c.x,
  );
  const shape = dyShape(c);
  const dy = tf.tensor4d(
    values(
      shape.reduce((a, b) => a * b),
      2,
    ),
    shape,
  );
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: [c.stride, c.stride],
    pad: c.pad,
    dataFormat: 'NHWC',
    filterShape: c.filter,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const out = (await dw.data()) as Float32Array;
  tf.dispose([x, dy, dw]);
  return out;
}

function relativeDiff(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length);
  let diff = 0,
    scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

let skip: string | undefined;
const cpu = new Map<string, Float32Array>();

before(async () => {
  try {
    await findWebgpuAdapter();
  } catch (err) {
    skip = `no Vulkan/WebGPU adapter here: ${(err as Error).message}`;
    return;
  }
  await tf.setBackend('cpu');
  for (const c of CASES) cpu.set(c.name, await filterGrad(c));
  await initEngine('webgpu', { allowSoftware: true });
});
after(() => releaseEngine());

for (const c of CASES) {
  test(`webgpu filter gradient, ${c.name}, matches cpu`, { timeout: 60_000 }, async (t) => {
    if (skip) return t.skip(skip);
    let got: Float32Array | undefined;
    const profile = await tf.profile(async () => {
      got = await filterGrad(c);
    });
    // The GEMM ran (tfjs's own shader has no matMul in it).
    assert.ok(
      profile.kernels.some((k) => k.name === 'BatchMatMul'),
      `kernels run: ${profile.kernels.map((k) => k.name)}`,
    );
    const diff = relativeDiff(got as Float32Array, cpu.get(c.name) as Float32Array);
    t.diagnostic(`max |webgpu - cpu| / max |dW| = ${diff.toExponential(2)}`);
    assert.ok(diff <= TOLERANCE, `relative difference ${diff}`);
  });
}

for (const channels of [3, 33]) {
  test(`chunked over the batch, in groups, it gives the cpu gradient (${channels} channels)`, {
    timeout: 60_000,
  }, async (t) => {
    if (skip) return t.skip(skip);
    // 3 channels: all taps' columns in one product; 33: one product per tap.
    const c: Case = { name: 'chunked', x: [8, 8, 8, channels], filter: [3, 3, channels, 5], stride: 1, pad: 'same' };
    const x = tf.tensor4d(values(8 * 8 * 8 * channels, 1), c.x);
    const dy = tf.tensor4d(values(8 * 8 * 8 * 5, 2), dyShape(c));
    const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, 1, 1, 'same');
    const plans: [string, { chunk: number; group: number }, number][] = [
      ['one chunk, one group', { chunk: 8, group: 8 }, 7],
      ['chunks of 3, 3 and 2 images, one image a group', { chunk: 3, group: 1 }, 7],
      ['8 groups summed 2 at a time', { chunk: 8, group: 1 }, 3],
    ];
    const got = plans.map(([, plan, maxInputs]) => filterGradAsMatMul(x, dy, info, plan, maxInputs));
    const data = (await Promise.all(got.map((g) => g.data()))) as Float32Array[];
    tf.dispose([x, dy, ...got]);
    await tf.setBackend('cpu');
    const want = await filterGrad(c);
    await tf.setBackend('webgpu');
    for (let i = 0; i < plans.length; i++) assert.ok(relativeDiff(data[i], want) <= TOLERANCE, plans[i][0]);
  });
}

test('the GEMM leaks no tensors', { timeout: 60_000 }, async (t) => {
  if (skip) return t.skip(skip);
  await filterGrad(CASES[0]);
  const before = tf.memory().numTensors;
  await filterGrad(CASES[0]);
  assert.equal(tf.memory().numTensors, before);
});

test('the depthwise filter gradient (another kernel) still matches cpu', { timeout: 60_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const grad = async () => {
    const x = tf.tensor4d(values(2 * 7 * 7 * 3, 1), [2, 7, 7, 3]);
    const w = tf.tensor4d(values(3 * 3 * 3 * 2, 3), [3, 3, 3, 2]);
    const dw = tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(x, f as tf.Tensor4D, 1, 'same'))))(w);
    const out = (await dw.data()) as Float32Array;
    tf.dispose([x, w, dw]);
    return out;
  };
  const gpu = await grad();
  await tf.setBackend('cpu');
  const want = await grad();
  await tf.setBackend('webgpu');
  assert.ok(relativeDiff(gpu, want) <= TOLERANCE);
});

test('planFilterGrad keeps every tensor under the limit, and gives up when one image does not fit', () => {
  const info = {
    batchSize: 32,
    inHeight: 28,
    inWidth: 28,
    inChannels: 64,
    outHeight: 28,
    outWidth: 28,
    outChannels: 64,
    filterHeight: 3,
    filterWidth: 3,
    padInfo: { top: 1, bottom: 1, left: 1, right: 1 },
  };
  // One image's largest tensor: its padded input, 30 x 30 x 64 floats.
  const perImage = 4 * 30 * 30 * 64;
  assert.deepEqual(planFilterGrad(info, 2 ** 30), { chunk: 32, group: 2 });
  const small = planFilterGrad(info, 5 * perImage);
  assert.deepEqual(small, { chunk: 5, group: 2 });
  assert.equal(planFilterGrad(info, perImage - 1), undefined);
  // Two channels: all 9 taps' views of an image are bound at once (784 x 18 floats), not its padded input.
  assert.deepEqual(planFilterGrad({ ...info, inChannels: 2, outChannels: 8 }, 5 * 4 * 784 * 18), {
    chunk: 5,
    group: 2,
  });
  // smallvgg's 7x7 layer at batch 32: groups of 21 images wanted; 2 groups of 16.
  assert.equal(groupsFor(32, 21), 2);
  assert.equal(groupsFor(8, 2), 4);
  assert.equal(groupsFor(12, 5), 2);
  assert.equal(groupsFor(7, 2), 1); // a prime count of images is one group
  assert.equal(groupsFor(1, 2), 1);
});
