// Which ResNet-50 a swav-style state_dict is (DeepCluster-v2's released models and training checkpoints, or a
// torchvision ResNet-50): its trunk's shapes, and the projection head and prototype sets it carries.
import type { ModelOptions } from '../types';
import { prototypeIndex } from '../importPytorchResNet';
import type { TorchTensor } from './tensor';

/** DeepCluster-v2's head as the file has it: projection MLP sizes and the size of each prototype set. */
export interface PytorchHeadInfo {
  /** Absent when the file has prototypes but no MLP (swav with hidden_mlp 0 is not supported). */
  hiddenDim?: number;
  outputDim: number;
  prototypes: number[];
}

/** ResNet-50's keys (without `module.`): a 7x7 conv1 of 64 filters and a fourth stage of three blocks. */
export function isResNet50(byKey: Map<string, TorchTensor>): boolean {
  const conv1 = byKey.get('conv1.weight');
  return (
    conv1?.shape.length === 4 &&
    conv1.shape[0] === 64 &&
    conv1.shape[2] === 7 &&
    byKey.has('layer4.2.conv3.weight') &&
    !byKey.has('layer4.3.conv1.weight')
  );
}

/** Model options, k (the first prototype set's size, or fc's units), and the head. */
export function describeResNet50(
  byKey: Map<string, TorchTensor>,
  fail: (message: string) => never,
): { options: ModelOptions; k: number; head?: PytorchHeadInfo } {
  const conv1 = byKey.get('conv1.weight')!;
  if (byKey.has('layer3.6.conv1.weight') || !byKey.has('layer3.5.conv1.weight'))
    fail('a ResNet with conv1 7x7 but not ResNet-50 (stages of 3, 4, 6, 3 blocks)');
  const width = byKey.get('layer4.2.conv3.weight')!.shape[0];
  if (width !== 2048) fail(`a wide ResNet-50 (layer4 gives ${width} channels; only width 1, 2048, is supported)`);
  // Any size from 32 px works (global pooling); 224 is what the released models were trained at.
  const options: ModelOptions = {
    arch: 'resnet50',
    inputSize: 224,
    inputChannels: conv1.shape[1]!,
    sobel: false,
    seed: 0,
  };
  const sets: number[] = [];
  let outputDim = 0;
  for (const [key, t] of byKey) {
    const i = prototypeIndex(key);
    if (i === undefined) continue;
    sets[i] = t.shape[0]!;
    outputDim = t.shape[1]!;
  }
  if (sets.some((s) => s === undefined)) fail('its prototype sets are not numbered 0, 1, ...');
  const fc1 = byKey.get('projection_head.0.weight');
  const fc2 = byKey.get('projection_head.3.weight');
  if (byKey.has('projection_head.weight')) fail('a single-layer projection head (swav hidden_mlp 0) is not supported');
  let head: PytorchHeadInfo | undefined;
  if (fc1 && fc2) {
    if (fc1.shape[1] !== 2048 || fc2.shape[1] !== fc1.shape[0])
      fail(`projection head shapes [${fc1.shape}] and [${fc2.shape}] do not chain from 2048`);
    if (sets.length && outputDim !== fc2.shape[0])
      fail(`prototypes take ${outputDim} inputs but the projection head gives ${fc2.shape[0]}`);
    head = { hiddenDim: fc1.shape[0], outputDim: fc2.shape[0]!, prototypes: sets };
  } else if (sets.length) {
    head = { outputDim, prototypes: sets };
  }
  const fc = byKey.get('fc.bias');
  return { options, k: sets[0] ?? fc?.shape[0] ?? 0, head };
}
