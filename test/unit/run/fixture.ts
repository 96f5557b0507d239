// A small fake run for the run-directory and inspect tests: made only with the writer functions under test.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { EpochMetrics } from '../../../src/protocol/events';
import type { DatasetInfo } from '../../../src/protocol/run';
import type { CheckpointState } from '../../../src/trainer/run/checkpoint';
import { parseArgs, type ParsedTrain } from '../../../src/trainer/cli/args';

export async function tempDir(prefix = 'dc-run-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export function fakeDataset(images = 12): DatasetInfo {
  return {
    path: '/data/fake',
    kind: 'idx',
    images,
    fingerprint: 'abcdef0123456789',
    labelled: true,
    channels: 1,
    skipped: 1,
  };
}

export function fakeConfig(out: string) {
  return (
    parseArgs(['train', '--recipe', 'paper', '--k', '3', '--pca', '4', '--epochs', '2', '--out', out]) as ParsedTrain
  ).config;
}

export function fakeMetrics(epoch: number): EpochMetrics {
  return {
    epoch,
    loss: 2 - epoch * 0.5,
    clusteringObjective: 10 - epoch,
    nmiPrev: epoch === 0 ? undefined : 0.61,
    nmiLabels: 0.4 + epoch * 0.1,
    ari: 0.3,
    accuracy: 0.5,
    clusters: { k: 3, empty: 0, largest: 5, smallest: 3 },
    seconds: { epoch: 1.5, features: 0.5, clustering: 0.2, training: 0.8 },
  };
}

/** 12 images in 3 clusters of sizes 5, 4, 3. Tensors: a conv weight, a bias, a BN stat, a top layer. */
export function fakeState(epoch: number): CheckpointState {
  const weights = new Map<string, tf.Tensor>([
    [
      'conv1.weight',
      tf.tensor4d(
        Array.from({ length: 36 }, (_, i) => i / 10 + epoch),
        [3, 3, 2, 2],
      ),
    ],
    ['conv1.bias', tf.tensor1d([0.5, -0.5])],
    ['bn1.runningMean', tf.tensor1d([epoch, epoch + 1])],
    ['top.weight', tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3])],
  ]);
  const optimizer = {
    state: new Map<string, tf.Tensor>([['conv1.weight/momentum', tf.zeros([3, 3, 2, 2])]]),
    config: { lr: 0.05, iterations: 7 * (epoch + 1) },
  };
  return {
    epoch,
    arch: 'smallvgg',
    modelOptions: { arch: 'smallvgg', inputSize: 28, inputChannels: 1, sobel: true, seed: 31 },
    weights,
    optimizer,
    assignments: Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]),
    k: 3,
    centroids: { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [3, 4] },
    pca: {
      mean: { data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), shape: [8] },
      matrix: { data: new Float32Array(32).fill(0.25), shape: [4, 8] },
    },
    exemplars: {
      clusters: [
        { indices: [2, 0], distances: [0.1, 0.2] },
        { indices: [5], distances: [0.3] },
        { indices: [9], distances: [0.05] },
      ],
    },
    labelHistograms: {
      classNames: ['a', 'b'],
      counts: [
        [4, 1],
        [0, 4],
        [2, 1],
      ],
    },
    rng: { sampler: [1, 2, 3, 4], kmeansSeed: 99 },
    metrics: fakeMetrics(epoch),
  };
}
