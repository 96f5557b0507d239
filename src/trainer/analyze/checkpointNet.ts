// The network of one of our checkpoints, ready for features: built from its model options (with fallbacks for
// older checkpoints), loaded with its weights. A v2 checkpoint also holds the projection head and the prototypes:
// the network is the trunk. Disposes the loaded tensors; a bad checkpoint is one AnalysisError naming it.
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type ConvNet, type ModelOptions } from '../model';
import { isHeadWeight } from '../model/projectionHead';
import type { LoadedCheckpoint } from '../run/checkpoint';
import { AnalysisError } from './errors';

export function netFromCheckpoint(loaded: LoadedCheckpoint, fallback: Partial<ModelOptions> = {}): ConvNet {
  const o = loaded.modelOptions as unknown as Partial<ModelOptions>;
  let net: ConvNet | undefined;
  try {
    net = createModel({
      arch: loaded.arch,
      inputSize: (o.inputSize ?? fallback.inputSize)!,
      inputChannels: (o.inputChannels ?? fallback.inputChannels)!,
      sobel: (o.sobel ?? fallback.sobel)!,
      seed: o.seed ?? fallback.seed ?? 0,
    });
    net.loadWeights(new Map([...loaded.weights].filter(([name]) => !isHeadWeight(name))));
    return net;
  } catch (e) {
    net?.dispose();
    throw new AnalysisError(`checkpoint ${loaded.dir}: ${(e as Error).message}`);
  } finally {
    tf.dispose([...loaded.weights.values()]);
  }
}
