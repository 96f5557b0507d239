// The network an `embed` or `cluster` run takes its features from: a PyTorch checkpoint (.pth, .pth.tar, .pt:
// facebookresearch/deepcluster's AlexNet / VGG16, ImageNet normalisation as the released models), or one of our
// checkpoints (a checkpoint folder or a run: its newest complete one; the dataset's own normalisation, as in
// training).
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET, toTensorBatch, type Dataset, type Normalization } from '../data';
import type { ConvNet } from '../model';
import { netFromCheckpoint } from '../analyze/checkpointNet';
import { loadDeepClusterModel, readPytorchCheckpoint, PYTORCH_CHECKPOINT_PATTERN } from '../model/pytorch';
import { loadCheckpoint } from '../run/checkpoint';
import { locateCheckpoint, AnalysisError } from '../analyze/checkpointContext';

export interface FeatureModel {
  net: ConvNet;
  /** What it is, for logs and the run manifest: "alexnet from checkpoint.pth.tar (PyTorch, legacy)". */
  description: string;
  source: 'pytorch' | 'run';
  /** PyTorch's: the released models' ImageNet statistics. Undefined: the dataset's own. */
  normalization?: Normalization;
  epoch?: number;
}

export async function loadFeatureModel(target: string): Promise<FeatureModel> {
  const abs = path.resolve(target);
  if (PYTORCH_CHECKPOINT_PATTERN.test(abs)) {
    const { model, info } = loadDeepClusterModel(await readPytorchCheckpoint(abs));
    return {
      net: model,
      description: `${info.options.arch}${info.options.sobel ? '+Sobel' : ''} from ${path.basename(abs)} (PyTorch, ${info.format})`,
      source: 'pytorch',
      normalization: IMAGENET,
      epoch: info.epoch,
    };
  }
  const where = await locateCheckpoint(abs);
  const loaded = await loadCheckpoint(where.dir);
  const { optimizer } = loaded;
  if (optimizer) tf.dispose([...optimizer.state.values()]);
  const net = netFromCheckpoint(loaded);
  return {
    net,
    description: `${loaded.arch} from ${path.basename(where.runDir)}/${where.name}`,
    source: 'run',
    epoch: loaded.epoch,
  };
}

/**
 * The network's input for dataset images `indices`: the cached centre crop, grey images repeated into RGB when
 * the network takes three channels, normalised with the model's statistics (or the dataset's).
 */
export async function featureBatch(
  model: FeatureModel,
  dataset: Dataset,
  indices: ArrayLike<number>,
): Promise<tf.Tensor4D> {
  const want = model.net.options.inputChannels;
  const have = dataset.channels;
  if (!model.normalization && want === have) return dataset.evalBatch(indices);
  let u8 = await dataset.readBatch(indices);
  if (have !== want) {
    if (have !== 1 || want !== 3)
      throw new AnalysisError(`the model takes ${want}-channel images but ${dataset.info.path} has ${have} channel(s)`);
    const rgb = new Uint8Array(u8.length * 3);
    for (let i = 0; i < u8.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = u8[i]!;
    u8 = rgb;
  }
  const norm = model.normalization ?? dataset.normalization;
  return toTensorBatch(
    u8,
    indices.length,
    dataset.inputSize,
    want,
    want === 3 && norm.mean.length < 3 ? repeatGrey(norm) : norm,
  );
}

/** A grey dataset's own statistics for each of three repeated channels. */
function repeatGrey(n: Normalization): Normalization {
  return { ...n, mean: [n.mean[0]!, n.mean[0]!, n.mean[0]!], std: [n.std[0]!, n.std[0]!, n.std[0]!] };
}
