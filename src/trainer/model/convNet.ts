// A DeepCluster convnet built from tfjs-core ops: [Sobel] -> features (conv-BN-ReLU blocks, max pools) ->
// flatten -> classifier up to fc7 -> [ReLU -> top layer]. NHWC throughout.
import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from './ownedVariable';
import type { ConvNet, LayerSummary, ModelOptions } from './types';
import { architectureSpec, checkInputSize, type ArchitectureSpec, type ConvBlockSpec } from './architectures';
import { BN_EPSILON, biasBatchNormReluTrain, createBatchNorm, type BatchNormVariables } from './batchNorm';
import {
  assignShardedDense,
  conv2dWithoutBias,
  convBnReluEval,
  createConv,
  createShardedDense,
  namedShards,
  shardedDense,
  shardedDenseFrom,
  type ConvVariables,
  type DenseVariables,
} from './layers';
import { mergedShapes, shardWidths } from './denseShards';
import { tensorSeed } from './init';
import { sobel, sobelFilter } from './sobel';
import { conv1InputChannels, summarizeModel } from './summary';

interface ConvBlock {
  spec: ConvBlockSpec;
  conv: ConvVariables;
  bn: BatchNormVariables;
}

export class DeepClusterConvNet implements ConvNet {
  readonly options: ModelOptions;
  readonly featureDim: number;
  private readonly spec: ArchitectureSpec;
  private readonly sobelFilter: tf.Variable<tf.Rank.R4> | null;
  private readonly blocks = new Map<string, ConvBlock>();
  /** fc6, fc7 and the top layer as column shards: one each unless wider than maxBindingBytes (denseShards.ts). */
  private readonly fc = new Map<'fc6' | 'fc7', DenseVariables[]>();
  private top: DenseVariables[] | null = null;
  private readonly maxBindingBytes: number | undefined;
  /** Dropout masks come from a seed + a counter, so a training run is reproducible for a given seed. */
  private dropoutDraws = 0;
  private dropoutSeed: number;

  /** `maxBindingBytes`: the webgpu adapter's binding limit, when the model will run there. */
  constructor(options: ModelOptions, maxBindingBytes?: number) {
    this.options = { ...options };
    this.maxBindingBytes = maxBindingBytes;
    this.dropoutSeed = options.seed;
    this.spec = architectureSpec(options.arch);
    checkInputSize(this.spec, options.inputSize);
    if (!Number.isInteger(options.inputChannels) || options.inputChannels < 1) {
      throw new Error(`${options.arch}: input channels must be a positive integer, got ${options.inputChannels}`);
    }
    this.featureDim = this.spec.featureDim;
    this.sobelFilter = options.sobel ? ownedVariable(sobelFilter(), false) : null;

    const rows = summarizeModel(options);
    let channels = conv1InputChannels(options);
    for (const layer of this.spec.features) {
      if (layer.kind !== 'conv') continue;
      const conv = createConv(layer, channels, tensorSeed(options.seed, `${layer.name}.weight`));
      this.blocks.set(layer.name, { spec: layer, conv, bn: createBatchNorm(layer.filters) });
      channels = layer.filters;
    }
    let units = rows.find((r) => r.name === 'flatten')!.outputShape[0];
    for (const layer of this.spec.classifier) {
      if (layer.kind !== 'dense') continue;
      const seed = tensorSeed(options.seed, `${layer.name}.weight`);
      this.fc.set(layer.name, createShardedDense(units, layer.units, seed, maxBindingBytes));
      units = layer.units;
    }
  }

  get k(): number {
    return this.top ? this.top.reduce((k, s) => k + s.bias.shape[0], 0) : 0;
  }

  bodyVariables(): tf.Variable[] {
    const vars: tf.Variable[] = [];
    for (const { conv, bn } of this.blocks.values()) vars.push(conv.weight, conv.bias, bn.gamma, bn.beta);
    for (const shards of this.fc.values()) for (const fc of shards) vars.push(fc.weight, fc.bias);
    return vars;
  }

  topVariables(): tf.Variable[] {
    return this.top ? this.top.flatMap((s) => [s.weight, s.bias]) : [];
  }

  features(x: tf.Tensor4D): tf.Tensor2D {
    this.checkInput(x, true);
    return tf.tidy(() => this.forward(x, false) as tf.Tensor2D);
  }

  trainingFeatures(x: tf.Tensor4D): tf.Tensor2D {
    this.checkInput(x, true);
    return this.forward(x, true) as tf.Tensor2D;
  }

  logits(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const top = this.top;
    if (!top) throw new Error('logits: no top layer attached; call resetTopLayer(k, seed) first');
    this.checkInput(x, true);
    return tf.tidy(() => shardedDense(tf.relu(this.forward(x, training) as tf.Tensor2D), top));
  }

  convActivations(x: tf.Tensor4D, layer: string): tf.Tensor4D {
    if (!this.blocks.has(layer))
      throw new Error(`unknown conv layer "${layer}"; valid: ${this.convLayerNames().join(', ')}`);
    this.checkInput(x, false);
    return tf.tidy(() => this.forward(x, false, layer) as tf.Tensor4D);
  }

  convLayerNames(): string[] {
    return [...this.blocks.keys()];
  }

  setDropoutSeed(seed: number): void {
    this.dropoutSeed = seed;
    this.dropoutDraws = 0;
  }

  resetTopLayer(k: number, seed: number): void {
    if (!Number.isInteger(k) || k < 1) throw new Error(`top layer: k must be a positive integer, got ${k}`);
    this.removeTopLayer();
    this.top = createShardedDense(this.featureDim, k, tensorSeed(seed, 'top.weight'), this.maxBindingBytes);
  }

  removeTopLayer(): void {
    if (this.top) for (const s of this.top) tf.dispose([s.weight, s.bias]);
    this.top = null;
  }

  namedWeights(): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    if (this.sobelFilter) m.set('sobel.weight', this.sobelFilter);
    for (const [name, { conv, bn }] of this.blocks) {
      const n = name.slice('conv'.length);
      m.set(`${name}.weight`, conv.weight).set(`${name}.bias`, conv.bias);
      m.set(`bn${n}.gamma`, bn.gamma).set(`bn${n}.beta`, bn.beta);
      m.set(`bn${n}.runningMean`, bn.runningMean).set(`bn${n}.runningVar`, bn.runningVar);
    }
    for (const [name, shards] of this.fc) for (const [n, v] of namedShards(name, shards)) m.set(n, v);
    if (this.top) for (const [n, v] of namedShards('top', this.top)) m.set(n, v);
    return m;
  }

  /**
   * Every body weight must be given (the Sobel ones may be left out: they are fixed); "top.weight" and "top.bias"
   * together re-attach a top layer of their size. Everything is checked before anything is assigned. Names are the
   * whole layers' ("fc6.weight"), also when this model holds them as shards.
   */
  loadWeights(weights: Map<string, tf.Tensor>): void {
    const topW = weights.get('top.weight');
    const topB = weights.get('top.bias');
    if (!topW !== !topB) throw new Error('loadWeights: "top.weight" and "top.bias" must come together');
    if (topW && (topW.rank !== 2 || topW.shape[0] !== this.featureDim)) {
      throw new Error(`loadWeights: top.weight has shape [${topW.shape}], expected [${this.featureDim}, k]`);
    }
    const expected = mergedShapes(this.namedWeights());
    for (const name of [...expected.keys()]) if (name.startsWith('top.')) expected.delete(name);
    if (topW) {
      const k = topW.shape[1]!;
      expected.set('top.weight', [this.featureDim, k]);
      expected.set('top.bias', [k]);
    }
    for (const [name, t] of weights) {
      const v = expected.get(name);
      if (!v)
        throw new Error(
          `loadWeights: unknown weight "${name}" for ${this.options.arch}${this.sobelFilter ? '' : ' without Sobel'}`,
        );
      if (!tf.util.arraysEqual(t.shape, v))
        throw new Error(`loadWeights: ${name} has shape [${t.shape}], expected [${v}]`);
      if (t.dtype !== 'float32') throw new Error(`loadWeights: ${name} is ${t.dtype}, expected float32`);
    }
    const missing = [...expected.keys()].filter((n) => !n.startsWith('sobel.') && !weights.has(n));
    if (missing.length) throw new Error(`loadWeights: missing ${missing.join(', ')}`);

    if (topW && topB) {
      this.removeTopLayer();
      this.top = shardedDenseFrom(topW, topB, shardWidths(this.featureDim, topW.shape[1]!, this.maxBindingBytes));
    }
    const current = this.namedWeights();
    for (const [layer, shards] of this.fc)
      assignShardedDense(shards, weights.get(`${layer}.weight`)!, weights.get(`${layer}.bias`)!);
    for (const [name, t] of weights) {
      const layer = name.slice(0, name.indexOf('.'));
      if (layer !== 'top' && layer !== 'fc6' && layer !== 'fc7') current.get(name)!.assign(t);
    }
  }

  summary(): LayerSummary[] {
    return summarizeModel(this.options, this.k);
  }

  dispose(): void {
    for (const v of this.namedWeights().values()) v.dispose();
    this.top = null;
  }

  /** Runs the network up to fc7 (before its ReLU), or only up to the ReLU after conv block `until`. */
  private forward(x: tf.Tensor4D, training: boolean, until?: string): tf.Tensor {
    let h: tf.Tensor4D = this.sobelFilter ? sobel(x, this.sobelFilter) : x;
    for (const layer of this.spec.features) {
      if (layer.kind === 'maxpool') {
        h = tf.maxPool(h, layer.size, layer.stride, 'valid');
        continue;
      }
      const { conv, bn } = this.blocks.get(layer.name)!;
      h = training
        ? biasBatchNormReluTrain(conv2dWithoutBias(h, layer, conv), conv.bias, bn)
        : convBnReluEval(h, layer, conv, bn, BN_EPSILON);
      if (layer.name === until) return h;
    }
    // NHWC flattens in (h, w, c) order; PyTorch's NCHW in (c, h, w): importPytorch permutes fc6's rows.
    let f: tf.Tensor2D = tf.reshape<tf.Rank.R2>(h, [h.shape[0], -1]);
    for (const layer of this.spec.classifier) {
      if (layer.kind === 'dense') f = shardedDense(f, this.fc.get(layer.name)!);
      else if (layer.kind === 'relu') f = tf.relu(f);
      else if (training)
        f = <tf.Tensor2D>(
          tf.dropout(f, layer.rate, undefined, tensorSeed(this.dropoutSeed, `dropout:${this.dropoutDraws++}`))
        );
    }
    return f;
  }

  private checkInput(x: tf.Tensor4D, fullSize: boolean): void {
    const { inputSize: s, inputChannels: c, arch } = this.options;
    if (x.rank !== 4 || x.shape[3] !== c || (fullSize && (x.shape[1] !== s || x.shape[2] !== s))) {
      throw new Error(`${arch}: expected input [n, ${s}, ${s}, ${c}] (NHWC), got [${x.shape}]`);
    }
  }
}
