// facebookresearch/swav's ResNet-50 state_dict (torchvision's key layout, `module.` from DistributedDataParallel)
// -> our weight names: conv1/bn1, layer{s}.{b}.conv{j}/bn{j} -> the sequential conv/bn numbering of resnetSpec.ts,
// layer{s}.0.downsample.{0,1} -> down{s}/downbn{s}; swav's projection_head.{0,1,3} -> head.fc1/bn/fc2 and
// prototypes.prototypes{i} (or a single prototypes) -> prototypes.{i}; torchvision's fc -> the top layer.
// PyTorch's ResNet convs have no bias: ours are set to zero.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelOptions } from './types';
import { resnetBlocks, resnetBnName, resnetSpec } from './resnetSpec';
import { convertConvWeight, convertLinearWeight, type Conversion, type PytorchTensor } from './importPytorch';

const bnKeys = (from: string, to: string): [string, string][] => [
  [`${from}.weight`, `${to}.gamma`],
  [`${from}.bias`, `${to}.beta`],
  [`${from}.running_mean`, `${to}.runningMean`],
  [`${from}.running_var`, `${to}.runningVar`],
];

/** Trunk keys (without `module.`) -> our name and conversion. */
export function resnet50KeyNames(options: ModelOptions): Map<string, { name: string; conversion: Conversion }> {
  const spec = resnetSpec('resnet50', options.inputSize);
  const m = new Map<string, { name: string; conversion: Conversion }>();
  const conv = (from: string, to: string) => {
    m.set(`${from}.weight`, { name: `${to}.weight`, conversion: 'conv' });
  };
  const bn = (from: string, to: string) => {
    for (const [k, v] of bnKeys(from, to)) m.set(k, { name: v, conversion: 'copy' });
  };
  conv('conv1', 'conv1');
  bn('bn1', 'bn1');
  const blocks = resnetBlocks(spec);
  let i = 0;
  spec.stages.forEach((stage, s) => {
    for (let b = 0; b < stage.blocks; b++, i++) {
      const block = blocks[i]!;
      block.convs.forEach((c, j) => {
        conv(`layer${s + 1}.${b}.conv${j + 1}`, c.name);
        bn(`layer${s + 1}.${b}.bn${j + 1}`, resnetBnName(c.name));
      });
      if (block.down) {
        conv(`layer${s + 1}.${b}.downsample.0`, block.down.name);
        bn(`layer${s + 1}.${b}.downsample.1`, resnetBnName(block.down.name));
      }
    }
  });
  m.set('fc.weight', { name: 'top.weight', conversion: 'linear' });
  m.set('fc.bias', { name: 'top.bias', conversion: 'copy' });
  m.set('projection_head.0.weight', { name: 'head.fc1.weight', conversion: 'linear' });
  m.set('projection_head.0.bias', { name: 'head.fc1.bias', conversion: 'copy' });
  for (const [k, v] of bnKeys('projection_head.1', 'head.bn')) m.set(k, { name: v, conversion: 'copy' });
  m.set('projection_head.3.weight', { name: 'head.fc2.weight', conversion: 'linear' });
  m.set('projection_head.3.bias', { name: 'head.fc2.bias', conversion: 'copy' });
  return m;
}

/** swav's prototype keys: prototypes.prototypes{i}.weight (DeepCluster-v2's sets) or prototypes.weight (SwAV's one). */
export function prototypeIndex(key: string): number | undefined {
  if (key === 'prototypes.weight') return 0;
  const m = /^prototypes\.prototypes(\d+)\.weight$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

/**
 * Converts a ResNet-50 state_dict (`module.` segments allowed, num_batches_tracked ignored) into the names the
 * trunk's loadWeights and ProjectionHead.loadWeights take; zero conv biases are added. Unknown keys are errors.
 */
export function importResNet50StateDict(
  options: ModelOptions,
  stateDict: Map<string, PytorchTensor>,
): Map<string, tf.Tensor> {
  const names = resnet50KeyNames(options);
  const out = new Map<string, tf.Tensor>();
  for (const [rawKey, t] of stateDict) {
    const key = rawKey.replace(/(^|\.)module(?=\.)/g, '').replace(/^\./, '');
    if (key.endsWith('num_batches_tracked')) continue;
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1))
      throw new Error(`${rawKey}: ${t.data.length} values for shape [${t.shape}]`);
    const proto = prototypeIndex(key);
    if (proto !== undefined) {
      out.set(`prototypes.${proto}`, convertLinearWeight(t));
      continue;
    }
    const target = names.get(key);
    if (!target) throw new Error(`${rawKey}: no such weight in resnet50`);
    const tensor =
      target.conversion === 'conv'
        ? convertConvWeight(t)
        : target.conversion === 'linear'
          ? convertLinearWeight(t)
          : tf.tensor(t.data, t.shape);
    out.set(target.name, tensor);
    if (target.conversion === 'conv') out.set(target.name.replace(/\.weight$/, '.bias'), tf.zeros([t.shape[0]!]));
  }
  return out;
}
