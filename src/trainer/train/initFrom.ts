// `train --init CKPT`: start a run from pretrained weights, a PyTorch checkpoint (the 2018 AlexNet / VGG16, a
// DeepCluster-v2 ResNet-50) or one of our runs / checkpoint folders. The checkpoint decides the architecture,
// Sobel and (where fc6 fixes it) the input size; settings not given on the command line follow the recipe's
// defaults for that architecture. The top layer (paper) or the prototypes (v2) are re-created for the run's k:
// their units belonged to another clustering. A DeepCluster-v2 projection head is kept when its sizes match the
// run's.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../protocol/config';
import { UsageError } from '../usageError';
import { defaultsForRecipe } from './defaults';
import type { ConvNet, ModelOptions } from '../model';
import { isResNetArch } from '../model/resnetSpec';
import { loadDeepClusterModel, readPytorchCheckpoint, PYTORCH_CHECKPOINT_PATTERN } from '../model/pytorch';
import { locateCheckpoint } from '../analyze/checkpointContext';
import { loadCheckpoint } from '../run/checkpoint';

export interface InitWeights {
  file: string;
  /** "alexnet+Sobel from checkpoint.pth.tar (PyTorch)" */
  description: string;
  options: ModelOptions;
  /** Trunk weights by our names (no top layer); conv1 as the checkpoint has it. */
  trunk: Map<string, tf.Tensor>;
  /** The v2 projection head (head.*), when the checkpoint has one; never its prototypes. */
  head: Map<string, tf.Tensor>;
}

/** Reads the weights a run starts from; a bad file is one line naming it. */
export async function readInitWeights(file: string): Promise<InitWeights> {
  const abs = path.resolve(file);
  const keep = (weights: Map<string, tf.Tensor>, head: boolean) => {
    const out = new Map<string, tf.Tensor>();
    for (const [name, t] of weights) {
      const isHead = name.startsWith('head.');
      if (name.startsWith('top.') || name.startsWith('prototypes.') || isHead !== head) continue;
      out.set(name, t.clone());
    }
    return out;
  };
  if (PYTORCH_CHECKPOINT_PATTERN.test(abs)) {
    const { model, info, head } = loadDeepClusterModel(await readPytorchCheckpoint(abs), {
      withHead: true,
      whole: true, // read by name below
    });
    try {
      const o = info.options;
      return {
        file: abs,
        description: `${o.arch}${o.sobel ? '+Sobel' : ''} from ${path.basename(abs)} (PyTorch)`,
        options: o,
        trunk: keep(model.namedWeights(), false),
        head: head ? keep(head.namedWeights(), true) : new Map(),
      };
    } finally {
      model.dispose();
      head?.dispose();
    }
  }
  let where: Awaited<ReturnType<typeof locateCheckpoint>>;
  try {
    where = await locateCheckpoint(abs);
  } catch (e) {
    throw new UsageError(`--init ${file}: ${(e as Error).message}`);
  }
  const loaded = await loadCheckpoint(where.dir);
  try {
    if (loaded.optimizer) tf.dispose([...loaded.optimizer.state.values()]);
    const o = loaded.modelOptions as Partial<ModelOptions>;
    if (o.inputSize === undefined || o.inputChannels === undefined || o.sobel === undefined) {
      throw new UsageError(`--init ${file}: checkpoint ${where.dir} does not record its model options`);
    }
    const options: ModelOptions = {
      arch: loaded.arch,
      inputSize: o.inputSize,
      inputChannels: o.inputChannels,
      sobel: o.sobel,
      seed: o.seed ?? 0,
    };
    return {
      file: where.dir,
      description: `${loaded.arch} from ${path.basename(where.runDir)}/${where.name}`,
      options,
      trunk: keep(loaded.weights, false),
      head: keep(loaded.weights, true),
    };
  } finally {
    tf.dispose([...loaded.weights.values()]);
  }
}

/**
 * The run's config with the checkpoint's architecture: arch and Sobel from the checkpoint (an explicit flag that
 * disagrees is an error), the input size from it where the architecture fixes it (AlexNet / VGG16's fc6) or none
 * was given, and every setting not given re-derived from the recipe's defaults for that architecture.
 */
export function configForInit(
  config: TrainConfig,
  init: InitWeights,
  explicit: ReadonlySet<keyof TrainConfig>,
): TrainConfig {
  const o = init.options;
  const flagFor: Partial<Record<keyof TrainConfig, string>> = {
    arch: '--arch',
    sobel: '--sobel/--no-sobel',
    inputSize: '--input-size',
  };
  const clash = (key: keyof TrainConfig, ours: unknown, theirs: unknown) => {
    if (explicit.has(key) && ours !== theirs) {
      throw new UsageError(
        `--init ${init.file} is ${init.description.split(' from ')[0]} with ${String(key)} ${String(theirs)}, but ${flagFor[key]} says ${String(ours)}`,
      );
    }
  };
  clash('arch', config.arch, o.arch);
  clash('sobel', config.sobel, o.sobel);
  // A ResNet (global pooling) takes any size; AlexNet / VGG16's fc6 takes one.
  const freeSize = isResNetArch(o.arch);
  if (!freeSize) clash('inputSize', config.inputSize, o.inputSize);
  const defaults = defaultsForRecipe(config.recipe ?? 'paper', o.arch);
  const out: TrainConfig = { ...config };
  for (const key of Object.keys(defaults) as (keyof typeof defaults)[])
    if (!explicit.has(key)) (out as unknown as Record<string, unknown>)[key] = defaults[key];
  out.arch = o.arch;
  out.sobel = o.sobel;
  if (!freeSize || !explicit.has('inputSize')) out.inputSize = o.inputSize;
  // Keep a DeepCluster-v2 projection head: the v2 head takes the checkpoint's sizes.
  const fc1 = init.head.get('head.fc1.weight');
  const fc2 = init.head.get('head.fc2.weight');
  if (out.v2 && fc1 && fc2) out.v2 = { ...out.v2, hiddenDim: fc1.shape[1]!, embeddingDim: fc2.shape[1]! };
  out.init = init.file;
  return out;
}

/**
 * Loads the trunk into the model. A grey dataset and a checkpoint of RGB conv1 filters (no Sobel): each filter's
 * three channel slices are summed, which is exactly the network seeing the grey image repeated into RGB.
 */
export function applyInitWeights(model: ConvNet, init: InitWeights): void {
  const weights = new Map(init.trunk);
  const conv1 = weights.get('conv1.weight');
  const want = model.options.sobel ? 2 : model.options.inputChannels;
  const owned: tf.Tensor[] = [];
  if (conv1 && conv1.shape[2] !== want) {
    if (want !== 1 || model.options.sobel)
      throw new Error(`--init: conv1 takes ${conv1.shape[2]} channels, the data has ${want}`);
    const summed = tf.sum(conv1, 2, true);
    owned.push(summed);
    weights.set('conv1.weight', summed);
  }
  try {
    model.loadWeights(weights);
  } finally {
    tf.dispose(owned);
  }
}

/** Head weights for a v2 head of these sizes, or undefined (with the reason) when the checkpoint's differ. */
export function initHeadWeights(
  init: InitWeights,
  shapes: Map<string, number[]>,
): { weights?: Map<string, tf.Tensor>; reason?: string } {
  if (init.head.size === 0) return { reason: 'the checkpoint has no projection head' };
  for (const [name, shape] of shapes) {
    if (name.startsWith('prototypes.')) continue;
    const t = init.head.get(name);
    if (!t) return { reason: `the checkpoint's head has no ${name}` };
    if (!tf.util.arraysEqual(t.shape, shape)) return { reason: `its ${name} is [${t.shape}], the run's [${shape}]` };
  }
  return { weights: init.head };
}

export function disposeInit(init: InitWeights): void {
  tf.dispose([...init.trunk.values(), ...init.head.values()]);
}
