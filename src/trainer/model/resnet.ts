// The ResNets of resnetSpec.ts (the v2 recipe's small one, and ResNet-50) as a ConvNet: [Sobel] -> stem -> [max
// pool] -> residual blocks -> average pooling -> [ReLU -> top layer]. The trunk's pooled output is the feature.
// Same conventions as DeepClusterConvNet: NHWC, PyTorch BatchNorm semantics, weights under stable names.
import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from './ownedVariable';
import type { ConvNet, LayerSummary, ModelOptions } from './types';
import type { ConvBlockSpec } from './architectures';
import { BN_EPSILON, createBatchNorm, updateRunningStatistics, type BatchNormVariables } from './batchNorm';
import { batchNormTrain } from '../engine/ops/batchNorm';
import {
  conv2dWithoutBias,
  convBnReluEval,
  createConv,
  createDense,
  dense,
  type ConvVariables,
  type DenseVariables,
} from './layers';
import { tensorSeed } from './init';
import { sobel, sobelFilter } from './sobel';
import {
  resnetBlocks,
  resnetBnName,
  resnetSpec,
  summarizeResNet,
  type ResNetArch,
  type ResNetBlock,
} from './resnetSpec';

interface ConvUnit {
  spec: ConvBlockSpec;
  conv: ConvVariables;
  bn: BatchNormVariables;
  /** Name prefix of the BatchNorm's weights: "bn3" or "downbn2". */
  bnName: string;
}

export class ResNet implements ConvNet {
  readonly options: ModelOptions;
  readonly featureDim: number;
  private readonly sobelFilter: tf.Variable<tf.Rank.R4> | null;
  private readonly units = new Map<string, ConvUnit>();
  private readonly stem: ConvUnit;
  private readonly blocks: { spec: ResNetBlock; convs: ConvUnit[]; down?: ConvUnit }[] = [];
  private top: DenseVariables | null = null;
  private readonly poolGrid: number;
  private readonly stemPool: boolean;

  constructor(options: ModelOptions) {
    this.options = { ...options };
    const arch = options.arch as ResNetArch;
    // ResNet-50's stem, pool and three stride-2 stages shrink the input 32x: below 32 px the last map is empty.
    const minimum = arch === 'resnet50' ? 32 : 8;
    if (!Number.isInteger(options.inputSize) || options.inputSize < minimum)
      throw new Error(`${arch} needs an input of at least ${minimum} px, got ${options.inputSize}`);
    if (!Number.isInteger(options.inputChannels) || options.inputChannels < 1) {
      throw new Error(`${arch}: input channels must be a positive integer, got ${options.inputChannels}`);
    }
    const spec = resnetSpec(arch, options.inputSize);
    this.featureDim = spec.featureDim;
    this.poolGrid = spec.poolGrid;
    this.stemPool = spec.stemPool;
    this.sobelFilter = options.sobel ? ownedVariable(sobelFilter(), false) : null;
    const unit = (s: ConvBlockSpec, inChannels: number): ConvUnit => {
      const u = {
        spec: s,
        conv: createConv(s, inChannels, tensorSeed(options.seed, `${s.name}.weight`)),
        bn: createBatchNorm(s.filters),
        bnName: resnetBnName(s.name),
      };
      this.units.set(s.name, u);
      return u;
    };
    this.stem = unit(spec.stem, options.sobel ? 2 : options.inputChannels);
    for (const b of resnetBlocks(spec)) {
      let inC = b.inChannels;
      const convs = b.convs.map((c) => {
        const u = unit(c, inC);
        inC = c.filters;
        return u;
      });
      this.blocks.push({ spec: b, convs, down: b.down ? unit(b.down, b.inChannels) : undefined });
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
    if (!this.convLayerNames().includes(layer))
      throw new Error(`unknown conv layer "${layer}"; valid: ${this.convLayerNames().join(', ')}`);
    this.checkInput(x, false);
    return tf.tidy(() => this.forward(x, false, layer) as tf.Tensor4D);
  }

  /** The main-path convs; a block's last conv stands for the block's output (after the residual and ReLU). */
  convLayerNames(): string[] {
    return [this.stem.spec.name, ...this.blocks.flatMap((b) => b.convs.map((u) => u.spec.name))];
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
      if (!v)
        throw new Error(
          `loadWeights: unknown weight "${name}" for ${this.options.arch}${this.sobelFilter ? '' : ' without Sobel'}`,
        );
      if (!tf.util.arraysEqual(t.shape, v.shape))
        throw new Error(`loadWeights: ${name} has shape [${t.shape}], expected [${v.shape}]`);
    }
    const missing = [...current.keys()].filter(
      (n) => !n.startsWith('sobel.') && !n.startsWith('top.') && !weights.has(n),
    );
    if (missing.length) throw new Error(`loadWeights: missing ${missing.join(', ')}`);
    if (topW && topB) {
      this.removeTopLayer();
      this.top = {
        weight: ownedVariable(topW.clone() as tf.Tensor2D, true),
        bias: ownedVariable(topB.clone() as tf.Tensor1D, true),
      };
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

  /**
   * conv -> BatchNorm (batch statistics in training, running ones in eval) -> optional ReLU. Eval mode is one
   * fused convolution with the BatchNorm folded in (ResNet-50's feature pass is 53 of them).
   */
  private convBn(x: tf.Tensor4D, u: ConvUnit, training: boolean, relu: boolean): tf.Tensor4D {
    if (!training) return convBnReluEval(x, u.spec, u.conv, u.bn, BN_EPSILON, relu ? 'relu' : 'linear');
    const c = conv2dWithoutBias(x, u.spec, u.conv);
    const { y, mean, variance } = batchNormTrain(c, u.bn.gamma, u.bn.beta, BN_EPSILON, { bias: u.conv.bias, relu });
    const [n, h, w] = c.shape;
    updateRunningStatistics(u.bn, mean, variance, n * h * w);
    return y;
  }

  /** The trunk up to the pooled feature, or up to the named conv's activation. */
  private forward(x: tf.Tensor4D, training: boolean, until?: string): tf.Tensor {
    let h: tf.Tensor4D = this.sobelFilter ? sobel(x, this.sobelFilter) : x;
    h = this.convBn(h, this.stem, training, true);
    if (until === this.stem.spec.name) return h;
    // Max pool 3x3 / 2 with PyTorch's padding 1: after a ReLU, zeros pad as -infinity would.
    if (this.stemPool)
      h = tf.maxPool(
        tf.pad(h, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        3,
        2,
        'valid',
      );
    for (const block of this.blocks) {
      let y = h;
      const last = block.convs.length - 1;
      for (const [i, u] of block.convs.entries()) {
        y = this.convBn(y, u, training, i < last);
        if (i < last && until === u.spec.name) return y;
      }
      const shortcut = block.down ? this.convBn(h, block.down, training, false) : h;
      h = tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
      if (until === block.convs[last]!.spec.name) return h;
    }
    return adaptiveAvgPool(h, this.poolGrid);
  }

  private checkInput(x: tf.Tensor4D, fullSize: boolean): void {
    const { inputSize: s, inputChannels: c } = this.options;
    if (x.rank !== 4 || x.shape[3] !== c || (fullSize && (x.shape[1] !== s || x.shape[2] !== s))) {
      throw new Error(`${this.options.arch}: expected input [n, ${s}, ${s}, ${c}] (NHWC), got [${x.shape}]`);
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
