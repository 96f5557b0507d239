// The v2 recipe's small ResNet (resnetSpec.ts says why this shape) as a ConvNet: [Sobel] -> stem -> basic blocks
// -> global average pooling -> [ReLU -> top layer]. The trunk's pooled output is the feature (featureDim 128).
// Same conventions as DeepClusterConvNet: NHWC, PyTorch BatchNorm semantics, weights under stable names.
import * as tf from '@tensorflow/tfjs-core';
import type { ConvNet, LayerSummary, ModelOptions } from './types';
import type { ConvBlockSpec } from './architectures';
import { BN_EPSILON, createBatchNorm, updateRunningStatistics, type BatchNormVariables } from './batchNorm';
import { batchNormTrain } from '../engine/ops/batchNorm';
import { conv2dWithoutBias, createConv, createDense, dense, type ConvVariables, type DenseVariables } from './layers';
import { tensorSeed } from './init';
import { sobel, sobelFilter } from './sobel';
import { resnetBlocks, resnetSpec, summarizeResNet, type ResNetBlock } from './resnetSpec';

interface ConvUnit {
  spec: ConvBlockSpec;
  conv: ConvVariables;
  bn: BatchNormVariables;
  /** Name prefix of the BatchNorm's weights: "bn3" or "downbn2". */
  bnName: string;
}

export class SmallResNet implements ConvNet {
  readonly options: ModelOptions;
  readonly featureDim: number;
  private readonly sobelFilter: tf.Variable<tf.Rank.R4> | null;
  private readonly units = new Map<string, ConvUnit>();
  private readonly stem: ConvUnit;
  private readonly blocks: { spec: ResNetBlock; a: ConvUnit; b: ConvUnit; down?: ConvUnit }[] = [];
  private top: DenseVariables | null = null;
  private readonly poolGrid: number;

  constructor(options: ModelOptions) {
    this.options = { ...options };
    if (!Number.isInteger(options.inputSize) || options.inputSize < 8) throw new Error(`resnet needs an input of at least 8 px, got ${options.inputSize}`);
    if (!Number.isInteger(options.inputChannels) || options.inputChannels < 1) {
      throw new Error(`resnet: input channels must be a positive integer, got ${options.inputChannels}`);
    }
    const spec = resnetSpec(options.inputSize);
    this.featureDim = spec.featureDim;
    this.poolGrid = spec.poolGrid;
    this.sobelFilter = options.sobel ? tf.variable(sobelFilter(), false) : null;
    const unit = (s: ConvBlockSpec, inChannels: number): ConvUnit => {
      const bnName = s.name.startsWith('down') ? `downbn${s.name.slice(4)}` : `bn${s.name.slice(4)}`;
      const u = { spec: s, conv: createConv(s, inChannels, tensorSeed(options.seed, `${s.name}.weight`)), bn: createBatchNorm(s.filters), bnName };
      this.units.set(s.name, u);
      return u;
    };
    this.stem = unit(spec.stem, options.sobel ? 2 : options.inputChannels);
    for (const b of resnetBlocks(spec)) {
      this.blocks.push({ spec: b, a: unit(b.a, b.inChannels), b: unit(b.b, b.a.filters), down: b.down ? unit(b.down, b.inChannels) : undefined });
    }
  }

  get k(): number {
    return this.top ? this.top.bias.shape[0] : 0;
  }

  bodyVariables(): tf.Variable[] {
    const vars: tf.Variable[] = [];
    for (const { conv, bn } of this.units.values()) vars.push(conv.weight, conv.bias, bn.gamma, bn.beta);
    return vars;
  }

  topVariables(): tf.Variable[] {
    return this.top ? [this.top.weight, this.top.bias] : [];
  }

  features(x: tf.Tensor4D): tf.Tensor2D {
    this.checkInput(x, true);
    return tf.tidy(() => this.forward(x, false) as tf.Tensor2D);
  }

  trainingFeatures(x: tf.Tensor4D): tf.Tensor2D {
    // Any square size: the multi-crop views are smaller than the input size.
    this.checkInput(x, false);
    return this.forward(x, true) as tf.Tensor2D;
  }

  logits(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const top = this.top;
    if (!top) throw new Error('logits: no top layer attached; call resetTopLayer(k, seed) first');
    this.checkInput(x, !training);
    return tf.tidy(() => dense(tf.relu(this.forward(x, training) as tf.Tensor2D), top));
  }

  convActivations(x: tf.Tensor4D, layer: string): tf.Tensor4D {
    if (!this.convLayerNames().includes(layer)) throw new Error(`unknown conv layer "${layer}"; valid: ${this.convLayerNames().join(', ')}`);
    this.checkInput(x, false);
    return tf.tidy(() => this.forward(x, false, layer) as tf.Tensor4D);
  }

  /** The main-path convs; a block's second conv stands for the block's output (after the residual and ReLU). */
  convLayerNames(): string[] {
    return [this.stem.spec.name, ...this.blocks.flatMap((b) => [b.a.spec.name, b.b.spec.name])];
  }

  setDropoutSeed(): void {
    // No dropout in this network.
  }

  resetTopLayer(k: number, seed: number): void {
    if (!Number.isInteger(k) || k < 1) throw new Error(`top layer: k must be a positive integer, got ${k}`);
    this.removeTopLayer();
    this.top = createDense(this.featureDim, k, tensorSeed(seed, 'top.weight'));
  }

  removeTopLayer(): void {
    if (this.top) tf.dispose([this.top.weight, this.top.bias]);
    this.top = null;
  }

  namedWeights(): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    if (this.sobelFilter) m.set('sobel.weight', this.sobelFilter);
    for (const [name, { conv, bn, bnName }] of this.units) {
      m.set(`${name}.weight`, conv.weight).set(`${name}.bias`, conv.bias);
      m.set(`${bnName}.gamma`, bn.gamma).set(`${bnName}.beta`, bn.beta);
      m.set(`${bnName}.runningMean`, bn.runningMean).set(`${bnName}.runningVar`, bn.runningVar);
    }
    if (this.top) m.set('top.weight', this.top.weight).set('top.bias', this.top.bias);
    return m;
  }

  loadWeights(weights: Map<string, tf.Tensor>): void {
    const topW = weights.get('top.weight');
    const topB = weights.get('top.bias');
    if (!topW !== !topB) throw new Error('loadWeights: "top.weight" and "top.bias" must come together');
    if (topW && (topW.rank !== 2 || topW.shape[0] !== this.featureDim)) {
      throw new Error(`loadWeights: top.weight has shape [${topW.shape}], expected [${this.featureDim}, k]`);
    }
    const current = this.namedWeights();
    for (const [name, t] of weights) {
      if (name.startsWith('top.')) continue;
      const v = current.get(name);
      if (!v) throw new Error(`loadWeights: unknown weight "${name}" for resnet${this.sobelFilter ? '' : ' without Sobel'}`);
      if (!tf.util.arraysEqual(t.shape, v.shape)) throw new Error(`loadWeights: ${name} has shape [${t.shape}], expected [${v.shape}]`);
    }
    const missing = [...current.keys()].filter((n) => !n.startsWith('sobel.') && !n.startsWith('top.') && !weights.has(n));
    if (missing.length) throw new Error(`loadWeights: missing ${missing.join(', ')}`);
    if (topW && topB) {
      this.removeTopLayer();
      this.top = { weight: tf.variable(topW.clone() as tf.Tensor2D, true), bias: tf.variable(topB.clone() as tf.Tensor1D, true) };
    }
    for (const [name, t] of weights) if (!name.startsWith('top.')) current.get(name)!.assign(t);
  }

  summary(): LayerSummary[] {
    return summarizeResNet(this.options, this.k);
  }

  dispose(): void {
    for (const v of this.namedWeights().values()) v.dispose();
    this.top = null;
  }

  /** conv -> BatchNorm (batch statistics in training, running ones in eval) -> optional ReLU. */
  private convBn(x: tf.Tensor4D, u: ConvUnit, training: boolean, relu: boolean): tf.Tensor4D {
    const c = conv2dWithoutBias(x, u.spec, u.conv);
    if (training) {
      const { y, mean, variance } = batchNormTrain(c, u.bn.gamma, u.bn.beta, BN_EPSILON, { bias: u.conv.bias, relu });
      const [n, h, w] = c.shape;
      updateRunningStatistics(u.bn, mean, variance, n * h * w);
      return y;
    }
    const scale = tf.mul(u.bn.gamma, tf.rsqrt(tf.add(u.bn.runningVar, BN_EPSILON)));
    const shift = tf.add(tf.mul(tf.sub(u.conv.bias, u.bn.runningMean), scale), u.bn.beta);
    const y = tf.add(tf.mul(c, scale), shift) as tf.Tensor4D;
    return relu ? tf.relu(y) : y;
  }

  /** The trunk up to the pooled feature, or up to the named conv's activation. */
  private forward(x: tf.Tensor4D, training: boolean, until?: string): tf.Tensor {
    let h: tf.Tensor4D = this.sobelFilter ? sobel(x, this.sobelFilter) : x;
    h = this.convBn(h, this.stem, training, true);
    if (until === this.stem.spec.name) return h;
    for (const block of this.blocks) {
      const a = this.convBn(h, block.a, training, true);
      if (until === block.a.spec.name) return a;
      const b = this.convBn(a, block.b, training, false);
      const shortcut = block.down ? this.convBn(h, block.down, training, false) : h;
      h = tf.relu(tf.add(b, shortcut)) as tf.Tensor4D;
      if (until === block.b.spec.name) return h;
    }
    return adaptiveAvgPool(h, this.poolGrid);
  }

  private checkInput(x: tf.Tensor4D, fullSize: boolean): void {
    const { inputSize: s, inputChannels: c } = this.options;
    if (x.rank !== 4 || x.shape[3] !== c || (fullSize && (x.shape[1] !== s || x.shape[2] !== s))) {
      throw new Error(`resnet: expected input [n, ${s}, ${s}, ${c}] (NHWC), got [${x.shape}]`);
    }
  }
}

/**
 * PyTorch's AdaptiveAvgPool2d(g) flattened in (cell, channel) order: cell (i, j) averages rows
 * [floor(i H / g), ceil((i + 1) H / g)) and the same for columns. g = 1 is global average pooling; g = 2 keeps
 * where in the image a pattern is (top/bottom, left/right), which small images need (resnetSpec.ts says why).
 */
export function adaptiveAvgPool(h: tf.Tensor4D, g: number): tf.Tensor2D {
  if (g === 1) return tf.mean(h, [1, 2]) as tf.Tensor2D;
  const [, height, width] = h.shape;
  const cells: tf.Tensor[] = [];
  for (let i = 0; i < g; i++) {
    const r0 = Math.floor((i * height) / g);
    const r1 = Math.ceil(((i + 1) * height) / g);
    for (let j = 0; j < g; j++) {
      const c0 = Math.floor((j * width) / g);
      const c1 = Math.ceil(((j + 1) * width) / g);
      cells.push(tf.mean(tf.slice(h, [0, r0, c0, 0], [-1, r1 - r0, c1 - c0, -1]), [1, 2]));
    }
  }
  return tf.concat(cells, 1) as tf.Tensor2D;
}
