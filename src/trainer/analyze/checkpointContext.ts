// Everything an analysis needs from one checkpoint, opened read-only: the run's manifest, the network with the
// checkpoint's weights (top layer included), the assignments and exemplars, and the run's dataset in the run's
// order. Nothing here writes into the run, so it works while another process keeps training it.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendRequest } from '../../protocol/config';
import type { EngineInfo } from '../../protocol/engine';
import type { RunManifest } from '../../protocol/run';
import { readRunManifest } from '../../runfolder/manifest';
import { locateCheckpoint as locate, type CheckpointLocation } from '../../runfolder/runs';
import { openDataset, type Dataset } from '../data';
import { initEngine } from '../engine';
import type { ConvNet } from '../model';
import { netFromCheckpoint } from './checkpointNet';
import { forwardEngineOptions } from '../train/measureForward';
import { loadCheckpoint, type LoadedCheckpoint } from '../run/checkpoint';

import { AnalysisError } from './errors';

export { AnalysisError };

export type { CheckpointLocation };

/** A checkpoint folder, or a run folder (its newest complete checkpoint). */
export async function locateCheckpoint(target: string): Promise<CheckpointLocation> {
  const where = locate(target);
  if ('error' in where) throw new AnalysisError(where.error);
  return where;
}

export interface CheckpointContext extends CheckpointLocation {
  manifest: RunManifest;
  checkpoint: Omit<LoadedCheckpoint, 'weights' | 'optimizer'>;
  net: ConvNet;
  dataset: Dataset;
  engine: EngineInfo;
  close(): Promise<void>;
}

export interface OpenContextOptions {
  backend?: BackendRequest;
  log?: (line: string) => void;
  /** The batch the command runs the network at: with `auto`, forward batches of it are timed on each backend. */
  forwardBatch?: number;
}

export async function openCheckpointContext(
  target: string,
  options: OpenContextOptions = {},
): Promise<CheckpointContext> {
  const where = await locateCheckpoint(target);
  const manifest = readRunManifest(where.runDir);
  // The engine first: loading a checkpoint creates tensors on the active backend. The manifest says what network
  // the checkpoint holds, so `auto` can time it before any weight is read.
  const request = options.backend ?? 'auto';
  const log = options.log ?? (() => undefined);
  const engine = await initEngine(
    request,
    options.forwardBatch === undefined
      ? { log: options.log }
      : forwardEngineOptions(
          request,
          {
            arch: manifest.config.arch,
            inputSize: manifest.config.inputSize,
            inputChannels: manifest.dataset.channels,
            sobel: manifest.config.sobel,
            seed: manifest.config.seed,
          },
          options.forwardBatch,
          manifest.config.cacheDir,
          log,
        ),
  );
  const loaded = await loadCheckpoint(where.dir);
  const { weights: _weights, optimizer, ...checkpoint } = loaded;
  if (optimizer) tf.dispose([...optimizer.state.values()]);
  const net = netFromCheckpoint(loaded, {
    inputSize: manifest.config.inputSize,
    inputChannels: manifest.dataset.channels,
    sobel: manifest.config.sobel,
    seed: manifest.config.seed,
  });
  const config = manifest.config;
  let dataset: Dataset;
  try {
    dataset = await openDataset({
      path: config.data,
      inputSize: net.options.inputSize,
      limit: config.limit,
      cacheDir: config.cacheDir,
    });
  } catch (e) {
    net.dispose();
    throw e;
  }
  if (dataset.info.fingerprint !== manifest.dataset.fingerprint || dataset.size !== checkpoint.assignments.length) {
    net.dispose();
    await dataset.close();
    throw new AnalysisError(
      `the dataset at ${dataset.info.path} changed since run ${where.runDir} was trained (${dataset.size} images, fingerprint ${dataset.info.fingerprint}; the run has ${checkpoint.assignments.length}, ${manifest.dataset.fingerprint})`,
    );
  }
  const n = net;
  return {
    ...where,
    manifest,
    checkpoint,
    net: n,
    dataset,
    engine,
    close: async () => {
      n.dispose();
      await dataset.close();
    },
  };
}
