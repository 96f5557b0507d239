// The forward pass of the official `visu/gradient_ascent.py: forward`: [Sobel] -> conv blocks up to a named conv
// layer, in eval mode, returning both the layer's post-ReLU output and its pre-BatchNorm conv output (the official
// code falls back to the latter when the target filter is dead). Built from the model's own weights and layer
// functions, so it is the same network as ConvNet.convActivations.
import * as tf from '@tensorflow/tfjs-core';
import type { ConvNet } from '../model';
import { architectureSpec, type ConvBlockSpec } from '../model/architectures';
import { BN_EPSILON, type BatchNormVariables } from '../model/batchNorm';
import { conv2d, type ConvVariables } from '../model/layers';
import { sobel } from '../model/sobel';
import { isResNetArch } from '../model/resnetSpec';

export interface LayerResponse {
  /** Conv output before BatchNorm, [n, h, w, C]. */
  preBatchNorm: tf.Tensor4D;
  /** After BatchNorm (running statistics) and ReLU, [n, h, w, C]. */
  postRelu: tf.Tensor4D;
}

export interface LayerResponseFn {
  (x: tf.Tensor4D): LayerResponse;
  /** Free the folded BatchNorm constants. */
  dispose(): void;
}

/** Returns a function of the normalised input giving the layer's response; checks the layer name once. */
export function layerResponseFn(net: ConvNet, layer: string): LayerResponseFn {
  const names = net.convLayerNames();
  if (!names.includes(layer)) throw new Error(`unknown conv layer "${layer}"; valid: ${names.join(', ')}`);
  if (isResNetArch(net.options.arch)) return residualResponseFn(net, layer);
  const w = net.namedWeights();
  const get = <R extends tf.Rank>(name: string) => w.get(name) as tf.Variable<R>;
  const sobelFilter = w.get('sobel.weight') as tf.Tensor4D | undefined;
  const features = architectureSpec(net.options.arch).features;
  const last = features.findIndex((l) => l.name === layer);
  const steps = features.slice(0, last + 1).map((spec) => {
    if (spec.kind === 'maxpool') return { spec };
    const n = spec.name.slice('conv'.length);
    const conv: ConvVariables = { weight: get(`${spec.name}.weight`), bias: get(`${spec.name}.bias`) };
    const bn: BatchNormVariables = {
      gamma: get(`bn${n}.gamma`),
      beta: get(`bn${n}.beta`),
      runningMean: get(`bn${n}.runningMean`),
      runningVar: get(`bn${n}.runningVar`),
    };
    // Eval-mode BatchNorm is a per-channel affine map. Written as one, its input gradient is a plain broadcast
    // multiply (tf.batchNorm's gradient tiles its operands, which costs more than the convs on wasm).
    const scale = tf.tidy(() => tf.div(bn.gamma, tf.sqrt(tf.add(bn.runningVar, BN_EPSILON))));
    const shift = tf.tidy(() => tf.sub(bn.beta, tf.mul(bn.runningMean, scale)));
    return { spec, conv, scale, shift };
  });
  const respond = (x: tf.Tensor4D): LayerResponse => {
    let h: tf.Tensor4D = sobelFilter ? sobel(x, sobelFilter) : x;
    let pre = h;
    for (const step of steps) {
      if (step.spec.kind === 'maxpool') {
        h = tf.maxPool(h, step.spec.size, step.spec.stride, 'valid');
        continue;
      }
      pre = conv2d(h, step.spec as ConvBlockSpec, step.conv!);
      h = tf.relu(tf.add(tf.mul(pre, step.scale!), step.shift!)) as tf.Tensor4D;
    }
    return { preBatchNorm: pre, postRelu: h };
  };
  return Object.assign(respond, {
    dispose: () => {
      for (const st of steps) if (st.scale) tf.dispose([st.scale, st.shift!]);
    },
  });
}

/**
 * The small ResNet: a block's output is the residual sum after its ReLU, so the response is the network's own
 * convActivations (differentiable: eval-mode BatchNorm is an affine map there). A dead filter has no pre-BatchNorm
 * fallback in a residual block; the same activation stands in for it.
 */
function residualResponseFn(net: ConvNet, layer: string): LayerResponseFn {
  const respond = (x: tf.Tensor4D): LayerResponse => {
    const h = net.convActivations(x, layer);
    return { preBatchNorm: h, postRelu: h };
  };
  return Object.assign(respond, { dispose: () => undefined });
}
