// DeepCluster-v2's head on top of a trunk's features: a projection MLP (Linear -> BatchNorm1d -> ReLU -> Linear)
// whose output is L2-normalised, and several prototype sets (bias-free linear maps of that output). The
// prototypes are never trained: the recipe copies the spherical k-means centroids into them before each epoch,
// as swav's main_deepclusterv2.py does (its authors found training them brought nothing, swav#26).
import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from './ownedVariable';
import { batchNormTrain } from '../engine/ops/batchNorm';
import { BN_EPSILON, createBatchNorm, updateRunningStatistics, type BatchNormVariables } from './batchNorm';
import { tensorSeed } from './init';
import type { DenseVariables } from './layers';

export interface ProjectionHeadOptions {
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
  /** Number of prototype sets and the size of each. */
  prototypes: number[];
  seed: number;
}

/** PyTorch's default Linear init, U(-1/sqrt(in), 1/sqrt(in)) for weight and bias (swav leaves the head at it). */
function torchLinear(inUnits: number, outUnits: number, seed: number): DenseVariables {
  const bound = 1 / Math.sqrt(inUnits);
  return {
    weight: ownedVariable(
      tf.randomUniform([inUnits, outUnits], -bound, bound, 'float32', tensorSeed(seed, 'weight')),
      true,
    ),
    bias: ownedVariable(tf.randomUniform([outUnits], -bound, bound, 'float32', tensorSeed(seed, 'bias')), true),
  };
}

export class ProjectionHead {
  readonly options: ProjectionHeadOptions;
  private readonly fc1: DenseVariables;
  private readonly bn: BatchNormVariables;
  private readonly fc2: DenseVariables;
  /** One [outputDim, k] matrix per set; columns are unit vectors once the first clustering has run. */
  private readonly protos: tf.Variable<tf.Rank.R2>[];

  constructor(options: ProjectionHeadOptions) {
    this.options = { ...options, prototypes: [...options.prototypes] };
    const { inputDim, hiddenDim, outputDim, seed } = options;
    this.fc1 = torchLinear(inputDim, hiddenDim, tensorSeed(seed, 'head.fc1'));
    this.bn = createBatchNorm(hiddenDim);
    this.fc2 = torchLinear(hiddenDim, outputDim, tensorSeed(seed, 'head.fc2'));
    this.protos = options.prototypes.map((k, h) => {
      if (!Number.isInteger(k) || k < 1)
        throw new Error(`prototype set ${h}: size must be a positive integer, got ${k}`);
      return ownedVariable(tf.zeros([outputDim, k]), false) as tf.Variable<tf.Rank.R2>;
    });
  }

  /** The trainable head parameters (the prototypes are not among them). */
  variables(): tf.Variable[] {
    return [this.fc1.weight, this.fc1.bias, this.bn.gamma, this.bn.beta, this.fc2.weight, this.fc2.bias];
  }

  /** L2-normalised embedding [n, outputDim]. training: BatchNorm on batch statistics (running ones updated). */
  embed(features: tf.Tensor2D, training: boolean): tf.Tensor2D {
    const h = tf.matMul(features, this.fc1.weight);
    const [n, d] = h.shape;
    let a: tf.Tensor2D;
    if (training) {
      const { y, mean, variance } = batchNormTrain(
        tf.reshape(h, [n, 1, 1, d]),
        this.bn.gamma,
        this.bn.beta,
        BN_EPSILON,
        { bias: this.fc1.bias, relu: true },
      );
      updateRunningStatistics(this.bn, mean, variance, n);
      a = tf.reshape(y, [n, d]);
    } else {
      const scale = tf.mul(this.bn.gamma, tf.rsqrt(tf.add(this.bn.runningVar, BN_EPSILON)));
      a = tf.relu(
        tf.add(tf.mul(tf.sub(tf.add(h, this.fc1.bias), this.bn.runningMean), scale), this.bn.beta),
      ) as tf.Tensor2D;
    }
    const z = tf.add(tf.matMul(a, this.fc2.weight), this.fc2.bias);
    return tf.div(z, tf.maximum(tf.norm(z, 2, 1, true), 1e-12));
  }

  /** Scores of unit embeddings against prototype set `h`: [n, k] cosine similarities. */
  scores(embeddings: tf.Tensor2D, h: number): tf.Tensor2D {
    return tf.matMul(embeddings, this.protos[h]);
  }

  /** Copies centroids (k x outputDim, row-major, unit rows) into prototype set `h`. */
  setPrototypes(h: number, centroids: Float32Array): void {
    const k = this.options.prototypes[h];
    const d = this.options.outputDim;
    if (centroids.length !== k * d)
      throw new Error(`prototype set ${h}: expected ${k} x ${d} centroids, got ${centroids.length} values`);
    tf.tidy(() => this.protos[h].assign(tf.transpose(tf.tensor2d(centroids, [k, d]))));
  }

  /** Stable names, under "head." and "prototypes.N" (what checkpoints store). */
  namedWeights(): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    m.set('head.fc1.weight', this.fc1.weight).set('head.fc1.bias', this.fc1.bias);
    m.set('head.bn.gamma', this.bn.gamma).set('head.bn.beta', this.bn.beta);
    m.set('head.bn.runningMean', this.bn.runningMean).set('head.bn.runningVar', this.bn.runningVar);
    m.set('head.fc2.weight', this.fc2.weight).set('head.fc2.bias', this.fc2.bias);
    this.protos.forEach((p, h) => m.set(`prototypes.${h}`, p));
    return m;
  }

  /** Loads every head weight by name; shapes must match. */
  loadWeights(weights: Map<string, tf.Tensor>): void {
    const current = this.namedWeights();
    for (const [name, v] of current) {
      const t = weights.get(name);
      if (!t) throw new Error(`projection head: missing weight "${name}"`);
      if (!tf.util.arraysEqual(t.shape, v.shape))
        throw new Error(`projection head: ${name} has shape [${t.shape}], expected [${v.shape}]`);
    }
    for (const [name, v] of current) v.assign(weights.get(name)!);
  }

  dispose(): void {
    for (const v of this.namedWeights().values()) v.dispose();
  }
}

/** True for the weight names a ProjectionHead owns (so a trunk's loadWeights can be given the rest). */
export function isHeadWeight(name: string): boolean {
  return name.startsWith('head.') || name.startsWith('prototypes.');
}
