// Filter visualisation by gradient ascent on the input (the official `visu/gradient_ascent.py`): start from
// pixel noise, and repeatedly step along the normalised gradient of
//   L(x) = -CE(mean_hw(layer(x)), f) - wd * ||x||^2
// (the filter's mean activation as the winning logit among all filters of the layer), blurring every few steps.
// Several filters are optimised at once, one image each: every image's objective and gradient normalisation is
// its own (BatchNorm is in eval mode), so a filter's image does not depend on which others share its batch.
import * as tf from '@tensorflow/tfjs-core';
import type { AscentParams } from '../../protocol/analysis';
import type { Normalization } from '../data';
import type { ConvNet } from '../model';
import { Rng } from '../cluster/rng';
import { stepLength } from './ascentParams';
import { gaussianBlur } from './gaussianBlur';
import { layerResponseFn } from './layerResponse';

export interface AscentOptions {
  /** How the network's input was normalised; the ascent runs in raw pixels (0-255) like the official code. */
  normalization: Pick<Normalization, 'mean' | 'std'>;
  /** Images optimised together (default: by input size, 64 at 28 px, 20 at 224 px). */
  batch?: number;
  /** Called after every iteration with (iterations done, iterations in total over all batches). */
  onProgress?: (done: number, total: number) => void;
  /** Record the target's mean post-ReLU activation every `traceEvery` iterations (0: never). */
  traceEvery?: number;
  /** Called with each batch's images as soon as they are done (so a caller can save them before the next). */
  onImages?: (images: FilterImage[]) => Promise<void> | void;
}

export interface FilterImage {
  filter: number;
  /** Raw-pixel image, S x S x C (HWC), float. */
  pixels: Float32Array;
  activationStart: number;
  activationEnd: number;
  probabilityEnd: number;
  usedPreBatchNorm: boolean;
  /** Target activation at iterations 0, traceEvery, 2 traceEvery, ... (when asked). */
  trace: number[];
}

/** Initial image of one filter: N(128, 20^2) pixel noise, seeded per filter so batching does not change it. */
export function initialNoise(values: number, seed: number, filter: number): Float32Array {
  const rng = new Rng((seed ^ Math.imul(filter + 1, 0x9e3779b1)) >>> 0);
  const out = new Float32Array(values);
  for (let i = 0; i < values; i += 2) {
    // Box-Muller: two normals per pair of uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - rng.float()));
    const t = 2 * Math.PI * rng.float();
    out[i] = 128 + 20 * r * Math.cos(t);
    if (i + 1 < values) out[i + 1] = 128 + 20 * r * Math.sin(t);
  }
  return out;
}

/** 1 where a value is exactly 0, else 0; a switch, so no gradient flows through it (Equal has none). */
const isZero = tf.customGrad(((a: tf.Tensor) => ({
  value: tf.cast(tf.equal(a, 0), 'float32'),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);

/** Synthesise, for each filter, the input that maximises its mean activation. */
export async function maximizeFilters(
  net: ConvNet,
  layer: string,
  filters: readonly number[],
  params: AscentParams,
  options: AscentOptions,
): Promise<FilterImage[]> {
  const respond = layerResponseFn(net, layer);
  const { inputSize: s, inputChannels: c } = net.options;
  const channels = net.namedWeights().get(`${layer}.bias`)!.shape[0];
  for (const f of filters) {
    if (!Number.isInteger(f) || f < 0 || f >= channels)
      throw new Error(`filter ${f} is out of range: ${layer} has ${channels} filters (0-${channels - 1})`);
  }
  const batch = options.batch ?? Math.max(1, Math.min(64, Math.floor((1 << 20) / (s * s))));
  const total = Math.ceil(filters.length / batch) * params.iterations;
  const results: FilterImage[] = [];
  try {
    for (let start = 0; start < filters.length; start += batch) {
      const chunk = filters.slice(start, start + batch);
      const done = (start / batch) * params.iterations;
      const images = await ascend(respond, chunk, channels, [s, s, c], params, options, (it) =>
        options.onProgress?.(done + it, total),
      );
      await options.onImages?.(images);
      results.push(...images);
    }
  } finally {
    respond.dispose();
  }
  return results;
}

async function ascend(
  respond: ReturnType<typeof layerResponseFn>,
  filters: readonly number[],
  channels: number,
  [s, , c]: [number, number, number],
  params: AscentParams,
  options: AscentOptions,
  progress: (iterationsDone: number) => void,
): Promise<FilterImage[]> {
  const n = filters.length;
  const values = s * s * c;
  const step = stepLength(params.lr, values);
  const noise = new Float32Array(n * values);
  filters.forEach((f, i) => noise.set(initialNoise(values, params.seed, f), i * values));

  const mean = tf.tensor1d(options.normalization.mean.map((m) => m * 255));
  const scale = tf.tensor1d(options.normalization.std.map((d) => 1 / (255 * d)));
  const target = tf.oneHot(tf.tensor1d(filters as number[], 'int32'), channels);
  let x: tf.Tensor4D = tf.tensor4d(noise, [n, s, s, c]);
  let deadEver: tf.Tensor = tf.zeros([n]);
  const trace: number[][] = filters.map(() => []);
  let first: Float32Array | undefined;
  let last: { activation: Float32Array; probability: Float32Array } | undefined;

  // The target's mean post-ReLU activation (what we report) and the objective's logits. A dead target (mean
  // exactly 0) switches that image to the pre-BatchNorm conv output, as the official `forward` does.
  const evaluate = (img: tf.Tensor4D) => {
    const input = tf.mul(tf.sub(img, mean), scale) as tf.Tensor4D;
    const { preBatchNorm, postRelu } = respond(input);
    const post = tf.mean(postRelu, [1, 2]) as tf.Tensor2D;
    const activation = tf.sum(tf.mul(post, target), 1);
    const dead = isZero(activation);
    const logits = tf.add(
      post,
      tf.mul(tf.expandDims(dead, 1), tf.sub(tf.mean(preBatchNorm, [1, 2]), post)),
    ) as tf.Tensor2D;
    return { activation, dead, logits, input };
  };
  let side: { activation: tf.Tensor; dead: tf.Tensor; logits: tf.Tensor } | undefined;
  const objective = (img: tf.Tensor4D): tf.Scalar => {
    const e = evaluate(img);
    side = { activation: tf.keep(e.activation), dead: tf.keep(e.dead), logits: tf.keep(e.logits) };
    const crossEntropy = tf.neg(tf.sum(tf.mul(tf.logSoftmax(e.logits), target), 1));
    // Weight decay on the image the network sees (the official code feeds raw pixels to the network, so there
    // the two are the same): it pulls towards the dataset mean, with the official weight relative to the loss.
    const decay = tf.mul(params.wd, tf.sum(tf.square(e.input), [1, 2, 3]));
    return tf.sum(tf.sub(tf.neg(crossEntropy), decay));
  };
  const gradient = tf.grad((img: tf.Tensor) => objective(img as tf.Tensor4D));

  try {
    for (let it = 0; it < params.iterations; it++) {
      const next = tf.tidy(() => {
        const g = gradient(x) as tf.Tensor4D;
        const norm = tf.sqrt(tf.sum(tf.square(g), [1, 2, 3], true));
        let y = tf.add(x, tf.mul(tf.div(g, tf.add(norm, 1e-8)), step)) as tf.Tensor4D;
        if (it % params.blurEvery === 0) y = gaussianBlur(y, params.sigma);
        return y;
      });
      const sd = side!;
      side = undefined;
      const ever = tf.maximum(deadEver, sd.dead);
      deadEver.dispose();
      deadEver = ever;
      const traceNow = options.traceEvery && it % options.traceEvery === 0;
      if (it === 0 || traceNow) {
        const a = (await sd.activation.data()) as Float32Array;
        if (it === 0) first = a.slice();
        if (traceNow) a.forEach((v, i) => trace[i].push(v));
      }
      tf.dispose([sd.activation, sd.dead, sd.logits]);
      x.dispose();
      x = next;
      progress(it + 1);
      // Let progress lines and signals through on synchronous backends.
      if (it % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    // The final image's own activation (the loop's last value belongs to the image before the last step).
    const end = tf.tidy(() => {
      const e = evaluate(x);
      return {
        activation: e.activation,
        probability: tf.sum(tf.mul(tf.softmax(e.logits), target), 1),
        dead: tf.maximum(deadEver, e.dead),
      };
    });
    last = {
      activation: (await end.activation.data()) as Float32Array,
      probability: (await end.probability.data()) as Float32Array,
    };
    const ever = (await end.dead.data()) as Float32Array;
    tf.dispose([end.activation, end.probability, end.dead]);
    const pixels = (await x.data()) as Float32Array;
    return filters.map((filter, i) => ({
      filter,
      pixels: pixels.slice(i * values, (i + 1) * values),
      activationStart: first![i],
      activationEnd: last!.activation[i],
      probabilityEnd: last!.probability[i],
      usedPreBatchNorm: ever[i] === 1,
      trace: trace[i],
    }));
  } finally {
    tf.dispose([x, deadEver, mean, scale, target]);
    if (side) tf.dispose([side.activation, side.dead, side.logits]);
  }
}
