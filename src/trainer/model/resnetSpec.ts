// The small ResNet of the v2 recipe as plain data: a 3x3 stem, then stages of basic blocks (two 3x3 conv-BN, the
// input added back, ReLU), then global average pooling. Why this shape for 28-96 px images on 2 cores:
// - residual blocks train at the high learning rates of DeepCluster-v2's schedule, where a plain stack of the
//   same depth (smallvgg) needs lr 0.05 and many more steps;
// - average pooling to a 2 x 2 grid instead of fc6/fc7 keeps the trunk small (no 2304x512 dense layer) and the
//   feature independent of the input size, so one network serves the 28 px and the smaller multi-crop views; the
//   grid keeps where a pattern is (top/bottom, left/right), which a single global pool throws away (untrained,
//   kNN-20 on Fashion-MNIST: 0.65 with a global pool on 3 000 images, pixels 0.82; 0.78 with the grid on 5 000,
//   pixels 0.80), and short runs start from what the untrained network already separates;
// - widths 32-64-128 with one block per stage (8 weighted layers): ~36 M multiply-adds per 28 px image by count,
//   against smallvgg's 89 M; on wasm a training step costs ~1.5x less per crop than smallvgg's (the narrow convs
//   run less efficiently), which pays for most of multi-crop's extra crops.
// Inputs of 64 px and more get a stride-2 stem, so a 96 px image costs about what 48 px would.
import type { LayerSummary, ModelOptions } from './types';
import { convOutputSize, type ConvBlockSpec } from './architectures';

export interface ResNetStage {
  filters: number;
  blocks: number;
  /** Stride of the stage's first block (its shortcut becomes a 1x1 conv + BN when stride or width changes). */
  stride: number;
}

export interface ResNetSpec {
  stem: ConvBlockSpec;
  stages: ResNetStage[];
  /** The last stage's map is average-pooled to a poolGrid x poolGrid grid (PyTorch's adaptive pooling regions). */
  poolGrid: number;
  featureDim: number;
}

/** One basic block's layers, named in forward order: convA, convB, and the shortcut projection when there is one. */
export interface ResNetBlock {
  a: ConvBlockSpec;
  b: ConvBlockSpec;
  /** 1x1 projection of the shortcut (named "downN"), when the block changes stride or width. */
  down?: ConvBlockSpec;
  inChannels: number;
}

export function resnetSpec(inputSize: number): ResNetSpec {
  const stemStride = inputSize >= 64 ? 2 : 1;
  const stages: ResNetStage[] = [
    { filters: 32, blocks: 1, stride: 1 },
    { filters: 64, blocks: 1, stride: 2 },
    { filters: 128, blocks: 1, stride: 2 },
  ];
  const poolGrid = 2;
  return {
    stem: { kind: 'conv', name: 'conv1', filters: 32, kernel: 3, stride: stemStride, pad: 1 },
    stages,
    poolGrid,
    featureDim: stages[stages.length - 1].filters * poolGrid * poolGrid,
  };
}

/** The blocks in order, with their conv names: conv2, conv3 (block 1), conv4, conv5 (block 2), ... */
export function resnetBlocks(spec: ResNetSpec): ResNetBlock[] {
  const blocks: ResNetBlock[] = [];
  let channels = spec.stem.filters;
  let conv = 1;
  for (const [s, stage] of spec.stages.entries()) {
    for (let b = 0; b < stage.blocks; b++) {
      const stride = b === 0 ? stage.stride : 1;
      const a: ConvBlockSpec = { kind: 'conv', name: `conv${++conv}`, filters: stage.filters, kernel: 3, stride, pad: 1 };
      const second: ConvBlockSpec = { kind: 'conv', name: `conv${++conv}`, filters: stage.filters, kernel: 3, stride: 1, pad: 1 };
      const down: ConvBlockSpec | undefined =
        stride !== 1 || channels !== stage.filters
          ? { kind: 'conv', name: `down${s + 1}`, filters: stage.filters, kernel: 1, stride, pad: 0 }
          : undefined;
      blocks.push({ a, b: second, down, inChannels: channels });
      channels = stage.filters;
    }
  }
  return blocks;
}

/** The layer table of the ResNet trunk (what the inspector shows). */
export function summarizeResNet(options: ModelOptions, k = 0): LayerSummary[] {
  const spec = resnetSpec(options.inputSize);
  const rows: LayerSummary[] = [];
  let channels = options.inputChannels;
  let size = options.inputSize;
  if (options.sobel) {
    channels = 2;
    rows.push({ name: 'sobel', kind: 'sobel', outputShape: [size, size, 2], params: 18, trainable: false });
  }
  const convRows = (c: ConvBlockSpec, inC: number, relu: boolean) => {
    const out = convOutputSize(size, c.kernel, c.stride, c.pad);
    const shape = [out, out, c.filters];
    const bn = c.name.startsWith('down') ? `downbn${c.name.slice(4)}` : `bn${c.name.slice(4)}`;
    rows.push({ name: c.name, kind: 'conv', outputShape: shape, params: c.kernel * c.kernel * inC * c.filters + c.filters, trainable: true });
    rows.push({ name: bn, kind: 'bn', outputShape: shape, params: 2 * c.filters, trainable: true });
    if (relu) rows.push({ name: `relu${c.name.slice(4)}`, kind: 'relu', outputShape: shape, params: 0, trainable: false });
    return out;
  };
  size = convRows(spec.stem, channels, true);
  for (const block of resnetBlocks(spec)) {
    const inSize = size;
    size = convRows(block.a, block.inChannels, true);
    const outSize = size;
    size = outSize;
    convRows(block.b, block.a.filters, true);
    if (block.down) {
      size = inSize;
      convRows(block.down, block.inChannels, false);
      size = outSize;
    }
    channels = block.b.filters;
  }
  const units = channels * spec.poolGrid * spec.poolGrid;
  rows.push({ name: 'avgpool', kind: 'flatten', outputShape: [units], params: 0, trainable: false });
  if (k > 0) rows.push({ name: 'top', kind: 'dense', outputShape: [k], params: units * k + k, trainable: true });
  return rows;
}
