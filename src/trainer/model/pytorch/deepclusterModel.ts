// A facebookresearch/deepcluster checkpoint ({'epoch', 'arch', 'state_dict', 'optimizer'}, or a bare state_dict),
// or a DeepCluster-v2 ResNet-50 from facebookresearch/swav (resnet50Model.ts) -> which of our models it is (arch,
// k, Sobel, input channels and size, the v2 head) and the model itself with its weights. The key mappings and the
// layout conversions are importPytorch.ts's and importPytorchResNet.ts's.
import * as path from 'node:path';
import type { ArchName } from '../../../protocol/config';
import type { ConvNet, LayerSummary, ModelOptions } from '../types';
import { architectureSpec, featureSizes, minimumInputSize } from '../architectures';
import { summarizeModel } from '../summary';
import { createModel } from '../index';
import { importPytorchStateDict, pytorchKeyNames, type PytorchTensor } from '../importPytorch';
import { importResNet50StateDict } from '../importPytorchResNet';
import { ProjectionHead, isHeadWeight } from '../projectionHead';
import { describeResNet50, isResNet50, type PytorchHeadInfo } from './resnet50Model';
import { PytorchCheckpointError } from './errors';
import { isTorchTensor, numel, tensorToFloat32, type TorchTensor } from './tensor';
import type { PytorchCheckpoint } from './readCheckpoint';

export interface PytorchModelInfo {
  file: string;
  format: PytorchCheckpoint['format'];
  bytes: number;
  options: ModelOptions;
  /** Clusters of the top layer (top_layer.bias), or of DeepCluster-v2's first prototype set; 0 without one. */
  k: number;
  /** DeepCluster-v2's projection head and prototype sets, when the file has them. */
  head?: PytorchHeadInfo;
  /** What the file's 'arch' field says, when it has one. */
  archField?: string;
  epoch?: number;
  /** DataParallel's `.module.` in the keys. */
  dataParallel: boolean;
  /** Optimizer state present, and how many tensors it holds (SGD momentum buffers). */
  optimizer?: { tensors: number; params: number };
  /** Keys of the checkpoint dict (empty for a bare state_dict). */
  topKeys: string[];
  /** Every state_dict tensor with its shape and dtype, in file order. */
  tensors: { name: string; shape: number[]; dtype: string }[];
  /** Parameters (num_batches_tracked and BN running statistics excluded, as PyTorch's `parameters()`). */
  params: number;
  layers: LayerSummary[];
}

const stripModule = (key: string) => key.replace(/(^|\.)module(?=\.)/g, '').replace(/^\./, '');

function fail(ck: PytorchCheckpoint, message: string): never {
  throw new PytorchCheckpointError(`${path.basename(ck.file)}: ${message}`);
}

/** The state_dict of a checkpoint: root['state_dict'] (or 'model'), or the root itself when it is one. */
export function findStateDict(ck: PytorchCheckpoint): Map<string, TorchTensor> {
  const root = ck.root;
  if (!(root instanceof Map)) fail(ck, 'holds no dict (expected a state_dict or {"state_dict": ...})');
  const isStateDict = (m: unknown): m is Map<string, TorchTensor> =>
    m instanceof Map && m.size > 0 && [...m].every(([k, v]) => typeof k === 'string' && isTorchTensor(v));
  for (const key of ['state_dict', 'model', 'model_state_dict'])
    if (isStateDict(root.get(key))) return root.get(key) as Map<string, TorchTensor>;
  if (isStateDict(root)) return root;
  fail(ck, `no state_dict found (keys: ${[...root.keys()].map(String).join(', ')})`);
}

/** Which of our architectures a state_dict is, from its conv weights. */
function inferArch(convs: TorchTensor[]): ArchName | undefined {
  if (convs.length === 5 && convs[0]!.shape[2] === 11) return 'alexnet';
  if (convs.length === 13) return 'vgg16';
  if (convs.length === 5 && convs[0]!.shape[2] === 3) return 'smallvgg';
  return undefined;
}

/** The input size whose last feature map flattens to fc6's input width; 224 (the released models') if it does. */
function inferInputSize(ck: PytorchCheckpoint, arch: ArchName, channels: number, fc6Inputs: number): number {
  const spec = architectureSpec(arch);
  const cells = fc6Inputs / channels;
  const side = Math.round(Math.sqrt(cells));
  if (side * side !== cells) fail(ck, `fc6 takes ${fc6Inputs} inputs, not ${channels} x a square map`);
  const grid = (s: number) => {
    const r = featureSizes(spec, s);
    return 'sizes' in r ? r.sizes[r.sizes.length - 1] : -1;
  };
  const preferred = arch === 'smallvgg' ? 32 : 224;
  if (grid(preferred) === side) return preferred;
  for (let s = minimumInputSize(spec); s <= 1024; s++) if (grid(s) === side) return s;
  fail(ck, `no input size gives ${arch} a ${side}x${side} map before fc6`);
}

/** The 2018 release's AlexNet / VGG16 (and our smallvgg): arch, k and Sobel from the features.N / top_layer keys. */
function describeFeaturesNet(
  ck: PytorchCheckpoint,
  sd: Map<string, TorchTensor>,
  byKey: Map<string, TorchTensor>,
  archField: unknown,
): { options: ModelOptions; k: number } {
  const convs = [...byKey]
    .filter(([k, t]) => /^features\.\d+\.weight$/.test(k) && t.shape.length === 4)
    .map(([, t]) => t);
  const arch = inferArch(convs);
  if (!arch) {
    fail(
      ck,
      `not a DeepCluster AlexNet, VGG16 or ResNet-50 state_dict (${convs.length} conv layers under features.N, no conv1/layer4; keys like ${[...sd.keys()].slice(0, 3).join(', ')})`,
    );
  }
  if (typeof archField === 'string' && !archField.toLowerCase().startsWith(arch === 'smallvgg' ? 'smallvgg' : arch)) {
    fail(ck, `its 'arch' says ${archField} but its layers are ${arch}'s`);
  }
  const sobelW = byKey.get('sobel.0.weight');
  const sobel = sobelW !== undefined;
  const inputChannels = sobel ? sobelW.shape[1]! : convs[0]!.shape[1]!;
  const fc6Key = [...pytorchKeyNames({ arch, inputSize: 224, inputChannels, sobel, seed: 0 })].find(
    ([, v]) => v.name === 'fc6.weight',
  )![0];
  const fc6 = byKey.get(fc6Key);
  if (fc6?.shape.length !== 2) fail(ck, `no ${fc6Key} (fc6) in the state_dict`);
  const lastConv = convs[convs.length - 1]!;
  const options: ModelOptions = {
    arch,
    inputSize: inferInputSize(ck, arch, lastConv.shape[0]!, fc6.shape[1]!),
    inputChannels,
    sobel,
    seed: 0,
  };
  const top = byKey.get('top_layer.bias');
  return { options, k: top ? top.shape[0]! : 0 };
}

/** Reads what the checkpoint is without converting any tensor. */
export function describeDeepClusterCheckpoint(ck: PytorchCheckpoint): PytorchModelInfo {
  const sd = findStateDict(ck);
  const byKey = new Map<string, TorchTensor>();
  for (const [k, t] of sd) byKey.set(stripModule(k), t);
  const root = ck.root as Map<unknown, unknown>;
  const archField = sd === root ? undefined : root.get('arch');
  const { options, k, head } = isResNet50(byKey)
    ? describeResNet50(byKey, (m) => fail(ck, m))
    : { ...describeFeaturesNet(ck, sd, byKey, archField), head: undefined };
  const tensors = [...sd].map(([name, t]) => ({ name, shape: t.shape, dtype: t.storage?.dtype ?? '?' }));
  const isParam = (k: string) => !/(running_mean|running_var|num_batches_tracked)$/.test(k) && !k.startsWith('sobel.');
  const params = [...byKey].filter(([key]) => isParam(key)).reduce((s, [, t]) => s + numel(t.shape), 0);
  const opt = sd === root ? undefined : root.get('optimizer');
  const epoch = sd === root ? undefined : root.get('epoch');
  return {
    file: ck.file,
    format: ck.format,
    bytes: ck.bytes,
    options,
    k,
    head,
    archField: typeof archField === 'string' ? archField : undefined,
    epoch: typeof epoch === 'number' ? epoch : undefined,
    dataParallel: [...sd.keys()].some((key) => /(^|\.)module\./.test(key)),
    optimizer: opt instanceof Map ? optimizerSummary(opt) : undefined,
    topKeys: sd === root ? [] : [...root.keys()].map(String),
    tensors,
    params,
    // A ResNet-50's k is its prototypes', not a top layer's.
    layers: summarizeModel(options, head ? 0 : k),
  };
}

/** Tensors anywhere in an optimizer state_dict (momentum buffers), counted. */
function optimizerSummary(opt: Map<unknown, unknown>): { tensors: number; params: number } {
  let tensors = 0;
  let params = 0;
  const walk = (x: unknown, depth: number) => {
    if (depth > 8) return;
    if (isTorchTensor(x)) {
      tensors++;
      params += numel(x.shape);
    } else if (x instanceof Map) for (const v of x.values()) walk(v, depth + 1);
    else if (Array.isArray(x)) for (const v of x) walk(v, depth + 1);
  };
  walk(opt.get('state'), 0);
  return { tensors, params };
}

/** The state_dict as float32 PyTorch-layout tensors (what importPytorchStateDict takes). */
export function stateDictFloat32(ck: PytorchCheckpoint): Map<string, PytorchTensor> {
  const out = new Map<string, PytorchTensor>();
  for (const [name, t] of findStateDict(ck)) {
    if (name.endsWith('num_batches_tracked')) continue;
    try {
      out.set(name, { shape: t.shape, data: tensorToFloat32(t, name) });
    } catch (e) {
      fail(ck, (e as Error).message);
    }
  }
  return out;
}

/**
 * Builds our model with the checkpoint's weights (top layer included when the file has one), at `inputSize` when
 * given and the architecture allows any (ResNet-50). With `withHead`, a DeepCluster-v2 file's projection head and
 * prototypes come back as a ProjectionHead when it has the MLP; the caller disposes it. `whole`: no dense layer
 * is split into shards even on webgpu (for a caller that only reads the weights by name).
 */
export function loadDeepClusterModel(
  ck: PytorchCheckpoint,
  opts: { inputSize?: number; withHead?: boolean; whole?: boolean } = {},
): { model: ConvNet; info: PytorchModelInfo; head?: ProjectionHead } {
  const described = describeDeepClusterCheckpoint(ck);
  const resnet50 = described.options.arch === 'resnet50';
  const info =
    resnet50 && opts.inputSize
      ? { ...described, options: { ...described.options, inputSize: opts.inputSize } }
      : described;
  let model: ConvNet | undefined;
  let head: ProjectionHead | undefined;
  try {
    model = createModel(info.options, opts.whole ? {} : undefined);
    const sd = stateDictFloat32(ck);
    const weights = resnet50 ? importResNet50StateDict(info.options, sd) : importPytorchStateDict(info.options, sd);
    try {
      model.loadWeights(new Map([...weights].filter(([name]) => !isHeadWeight(name))));
      const h = info.head;
      if (opts.withHead && h?.hiddenDim) {
        head = new ProjectionHead({
          inputDim: model.featureDim,
          hiddenDim: h.hiddenDim,
          outputDim: h.outputDim,
          prototypes: h.prototypes,
          seed: 0,
        });
        head.loadWeights(weights);
      }
    } finally {
      for (const t of weights.values()) t.dispose();
    }
  } catch (e) {
    model?.dispose();
    head?.dispose();
    if (e instanceof PytorchCheckpointError) throw e;
    fail(ck, (e as Error).message);
  }
  return { model, info, head };
}
