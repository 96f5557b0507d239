import type * as tf from '@tensorflow/tfjs-core';
import type { ArchName } from '../../protocol/config';

/** One row of a model summary (what the checkpoint inspector shows). */
export interface LayerSummary {
  name: string;
  kind: 'sobel' | 'conv' | 'bn' | 'relu' | 'maxpool' | 'dropout' | 'flatten' | 'dense';
  outputShape: number[];
  params: number;
  trainable: boolean;
}

export interface ModelOptions {
  arch: ArchName;
  /** Square input size in pixels. smallvgg: 28-64; alexnet/vgg16: 224 (other sizes work if the shapes allow). */
  inputSize: number;
  /** Channels of the input images (1 grey or 3 RGB). */
  inputChannels: number;
  /** Put the frozen grayscale+Sobel front end before conv1 (conv1 then sees 2 channels). */
  sobel: boolean;
  /** Seed for the weight initialisation. */
  seed: number;
}

/**
 * A DeepCluster convnet: body (Sobel?, convs with BN, fc6, fc7) plus an optional top (cluster) layer.
 * Input tensors are NHWC float32, already normalised.
 */
export interface ConvNet {
  readonly options: ModelOptions;
  /** Size of fc7, the features used for clustering (512 smallvgg, 4096 alexnet/vgg16). */
  readonly featureDim: number;
  /** Number of outputs of the current top layer, or 0 when none is attached. */
  readonly k: number;
  /** Trainable body variables (convs, BN gamma/beta, fc6, fc7). Excludes Sobel and the top layer. */
  bodyVariables(): tf.Variable[];
  /** The top layer's variables (weight [featureDim, k], bias [k]); empty when none is attached. */
  topVariables(): tf.Variable[];
  /** fc7 output before its ReLU, in eval mode (no dropout, BN running statistics). Shape [n, featureDim]. */
  features(x: tf.Tensor4D): tf.Tensor2D;
  /**
   * The same features in training mode (dropout on, BN with batch statistics, running statistics updated), for
   * heads trained on top of them (the v2 recipe's projection head). Not wrapped in a tidy: call inside one.
   */
  trainingFeatures(x: tf.Tensor4D): tf.Tensor2D;
  /**
   * Logits of the top layer applied to ReLU(fc7). training=true: dropout on, BN with batch statistics, and BN
   * running statistics updated (PyTorch momentum 0.1, unbiased variance). Throws if no top layer is attached.
   */
  logits(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** Post-ReLU activations of a named conv layer (e.g. "conv3"), eval mode; for filter visualisation. */
  convActivations(x: tf.Tensor4D, layer: string): tf.Tensor4D;
  /** Names of the conv layers in order ("conv1", ...). */
  convLayerNames(): string[];
  /** Attach a fresh top layer with k outputs: weights N(0, 0.01^2), bias 0. Replaces any existing one. */
  resetTopLayer(k: number, seed: number): void;
  removeTopLayer(): void;
  /** Restart the dropout mask stream from this seed (the loop does it every epoch, so `resume` replays the masks). */
  setDropoutSeed(seed: number): void;
  /**
   * Every persistent tensor by a stable name (incl. BN running stats, Sobel, top layer if attached). A dense layer
   * held as column shards (webgpu, denseShards.ts) appears as "fc6.weight[0:2048]", ...; checkpoints merge them.
   */
  namedWeights(): Map<string, tf.Variable>;
  /** Load whole weights by name (shapes must match; shards are split here); "top.*" re-attaches a top layer. */
  loadWeights(weights: Map<string, tf.Tensor>): void;
  summary(): LayerSummary[];
  dispose(): void;
}
