// Official PyTorch checkpoints (facebookresearch/deepcluster `state_dict`) -> our weight names and NHWC layouts.
// `features.<i>` and `classifier.<i>` are nn.Sequential indices: a conv block takes three (conv, bn, relu), a pool
// one; every classifier entry one. So AlexNet's conv2 is features.4 and its fc6 classifier.1; VGG16's fc6 is
// classifier.0 (no dropout before it).
import * as tf from '@tensorflow/tfjs-core';
import type { ModelOptions } from './types';
import { architectureSpec } from './architectures';
import { summarizeModel } from './summary';

/** One tensor of a PyTorch state_dict, row-major in PyTorch's layout. */
export interface PytorchTensor {
  shape: number[];
  data: Float32Array;
}

/** PyTorch module-path -> our name, and how to convert the tensor. */
export type Conversion = 'conv' | 'linear' | 'fc6' | 'copy';

/** Official state_dict key (without `.module`, Sobel and `num_batches_tracked`) -> our name and conversion. */
export function pytorchKeyNames(options: ModelOptions): Map<string, { name: string; conversion: Conversion }> {
  const spec = architectureSpec(options.arch);
  const m = new Map<string, { name: string; conversion: Conversion }>();
  let i = 0;
  for (const layer of spec.features) {
    if (layer.kind === 'maxpool') {
      i += 1;
      continue;
    }
    const n = layer.name.slice('conv'.length);
    m.set(`features.${i}.weight`, { name: `${layer.name}.weight`, conversion: 'conv' });
    m.set(`features.${i}.bias`, { name: `${layer.name}.bias`, conversion: 'copy' });
    m.set(`features.${i + 1}.weight`, { name: `bn${n}.gamma`, conversion: 'copy' });
    m.set(`features.${i + 1}.bias`, { name: `bn${n}.beta`, conversion: 'copy' });
    m.set(`features.${i + 1}.running_mean`, { name: `bn${n}.runningMean`, conversion: 'copy' });
    m.set(`features.${i + 1}.running_var`, { name: `bn${n}.runningVar`, conversion: 'copy' });
    i += 3;
  }
  spec.classifier.forEach((layer, j) => {
    if (layer.kind !== 'dense') return;
    m.set(`classifier.${j}.weight`, {
      name: `${layer.name}.weight`,
      conversion: layer.name === 'fc6' ? 'fc6' : 'linear',
    });
    m.set(`classifier.${j}.bias`, { name: `${layer.name}.bias`, conversion: 'copy' });
  });
  m.set('top_layer.weight', { name: 'top.weight', conversion: 'linear' });
  m.set('top_layer.bias', { name: 'top.bias', conversion: 'copy' });
  return m;
}

/** [out, in, kh, kw] -> [kh, kw, in, out]. */
export function convertConvWeight(t: PytorchTensor): tf.Tensor4D {
  const [o, c, kh, kw] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let co = 0; co < o; co++)
    for (let ci = 0; ci < c; ci++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * c + ci) * o + co] = t.data[((co * c + ci) * kh + y) * kw + x];
  return tf.tensor4d(out, [kh, kw, c, o]);
}

/** Linear [out, in] -> [in, out]. */
export function convertLinearWeight(t: PytorchTensor): tf.Tensor2D {
  const [o, n] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < o; r++) for (let q = 0; q < n; q++) out[q * o + r] = t.data[r * n + q];
  return tf.tensor2d(out, [n, o]);
}

/**
 * fc6 [out, C*H*W] -> [H*W*C, out]: PyTorch flattens NCHW as (c, h, w), we flatten NHWC as (h, w, c), so input
 * row (h*W + w)*C + c of ours is column c*H*W + h*W + w of theirs.
 */
export function convertFc6Weight(t: PytorchTensor, h: number, w: number, c: number): tf.Tensor2D {
  const [o, n] = t.shape;
  if (n !== h * w * c) throw new Error(`fc6 has ${n} inputs, but the conv output is ${h}x${w}x${c} = ${h * w * c}`);
  const out = new Float32Array(t.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        const ours = (y * w + x) * c + ch;
        const theirs = ch * h * w + y * w + x;
        for (let r = 0; r < o; r++) out[ours * o + r] = t.data[r * n + theirs];
      }
  return tf.tensor2d(out, [n, o]);
}

/** The Sobel tensors are fixed: check that the checkpoint's are the standard ones rather than import them. */
function checkSobel(key: string, t: PytorchTensor): void {
  const expectEvery = (value: number): void => {
    if (t.data.some((v) => Math.abs(v - value) > 1e-6))
      throw new Error(`${key}: expected every value ${value}, not a standard Sobel layer`);
  };
  if (key.endsWith('.bias')) return expectEvery(0);
  if (t.shape.length === 4 && t.shape[0] === 1 && t.shape[2] === 1 && t.shape[3] === 1)
    return expectEvery(1 / t.shape[1]);
  if (t.shape.join() === '2,1,3,3') {
    const expected = [1, 0, -1, 2, 0, -2, 1, 0, -1, 1, 2, 1, 0, 0, 0, -1, -2, -1];
    if (expected.some((v, i) => Math.abs(v - t.data[i]) > 1e-6))
      throw new Error(`${key}: not the standard Sobel kernels`);
    return;
  }
  throw new Error(`${key}: unexpected Sobel tensor of shape [${t.shape}]`);
}

/**
 * Converts a state_dict (DataParallel's `.module` segments allowed, `num_batches_tracked` ignored) into the names
 * `ConvNet.loadWeights` takes. Unknown keys, shape mismatches and non-standard Sobel tensors are errors.
 */
export function importPytorchStateDict(
  options: ModelOptions,
  stateDict: Map<string, PytorchTensor>,
): Map<string, tf.Tensor> {
  const names = pytorchKeyNames(options);
  const flatten = summarizeModel(options)
    .filter((r) => r.kind !== 'flatten' && r.outputShape.length === 3)
    .at(-1)!.outputShape;
  const out = new Map<string, tf.Tensor>();
  for (const [rawKey, t] of stateDict) {
    const key = rawKey.replace(/(^|\.)module(?=\.)/g, '').replace(/^\./, '');
    if (key.endsWith('num_batches_tracked')) continue;
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1))
      throw new Error(`${rawKey}: ${t.data.length} values for shape [${t.shape}]`);
    if (key.startsWith('sobel.')) {
      if (!options.sobel) throw new Error(`${rawKey}: the checkpoint has a Sobel layer but the model has none`);
      checkSobel(rawKey, t);
      continue;
    }
    const target = names.get(key);
    if (!target) throw new Error(`${rawKey}: no such weight in ${options.arch}`);
    const conversion = target.conversion;
    const tensor =
      conversion === 'conv'
        ? convertConvWeight(t)
        : conversion === 'linear'
          ? convertLinearWeight(t)
          : conversion === 'fc6'
            ? convertFc6Weight(t, flatten[0], flatten[1], flatten[2])
            : tf.tensor(t.data, t.shape);
    out.set(target.name, tensor);
  }
  return out;
}
