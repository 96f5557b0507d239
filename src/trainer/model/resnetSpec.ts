// The ResNets as plain data: a stem, then stages of residual blocks, then average pooling.
//
// `resnet`, the v2 recipe's small network for 28-96 px images on 2 cores: a 3x3 stem and one basic block (two 3x3
// conv-BN, the input added back, ReLU) per stage of 32, 64, 128 channels. Why this shape:
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
//
// `resnet50`, DeepCluster-v2's released network (facebookresearch/swav src/resnet50.py, torchvision's layout): a
// 7x7 stride-2 stem, a 3x3 stride-2 max pool, bottleneck blocks (1x1, 3x3 carrying the stride, 1x1 to 4x the
// width) in stages of 3, 4, 6, 3 blocks of width 64-512, global average pooling to 2048.
import type { ArchName } from '../../protocol/config';
import type { LayerSummary, ModelOptions } from './types';
import { convOutputSize, type ConvBlockSpec } from './architectures';

export type ResNetArch = Extract<ArchName, 'resnet' | 'resnet50'>;

export function isResNetArch(arch: ArchName): arch is ResNetArch {
  return arch === 'resnet' || arch === 'resnet50';
}

export interface ResNetStage {
  /** The stage's width (a bottleneck block's output is 4x this). */
  filters: number;
  blocks: number;
  /** Stride of the stage's first block (its shortcut becomes a 1x1 conv + BN when stride or width changes). */
  stride: number;
}

export interface ResNetSpec {
  stem: ConvBlockSpec;
  /** A 3x3 stride-2 max pool (padding 1) after the stem's ReLU: ResNet-50's. */
  stemPool: boolean;
  block: 'basic' | 'bottleneck';
  stages: ResNetStage[];
  /** The last stage's map is average-pooled to a poolGrid x poolGrid grid (PyTorch's adaptive pooling regions). */
  poolGrid: number;
  featureDim: number;
}

/** One block's layers: its main-path convs in forward order, and the shortcut projection when there is one. */
export interface ResNetBlock {
  /** Two 3x3 (basic) or 1x1, 3x3, 1x1 (bottleneck); the last one's BN output is added to the shortcut. */
  convs: ConvBlockSpec[];
  /** 1x1 projection of the shortcut (named "downN"), when the block changes stride or width. */
  down?: ConvBlockSpec;
  inChannels: number;
}

export function resnetSpec(arch: ResNetArch, inputSize: number): ResNetSpec {
  if (arch === 'resnet50') {
    const stages = [64, 128, 256, 512].map((filters, i) => ({
      filters,
      blocks: [3, 4, 6, 3][i]!,
      stride: i === 0 ? 1 : 2,
    }));
    return {
      stem: { kind: 'conv', name: 'conv1', filters: 64, kernel: 7, stride: 2, pad: 3 },
      stemPool: true,
      block: 'bottleneck',
      stages,
      poolGrid: 1,
      featureDim: 2048,
    };
  }
  const stages: ResNetStage[] = [
    { filters: 32, blocks: 1, stride: 1 },
    { filters: 64, blocks: 1, stride: 2 },
    { filters: 128, blocks: 1, stride: 2 },
  ];
  const poolGrid = 2;
  return {
    stem: { kind: 'conv', name: 'conv1', filters: 32, kernel: 3, stride: inputSize >= 64 ? 2 : 1, pad: 1 },
    stemPool: false,
    block: 'basic',
    stages,
    poolGrid,
    featureDim: stages[stages.length - 1]!.filters * poolGrid * poolGrid,
  };
}

/** Channels a block of the stage puts out. */
export function blockOutput(spec: ResNetSpec, stage: ResNetStage): number {
  return spec.block === 'bottleneck' ? 4 * stage.filters : stage.filters;
}

/** The blocks in order, their convs numbered on from the stem: conv2, conv3 (block 1), conv4, ... */
export function resnetBlocks(spec: ResNetSpec): ResNetBlock[] {
  const blocks: ResNetBlock[] = [];
  let channels = spec.stem.filters;
  let n = 1;
  const conv = (filters: number, kernel: number, stride: number): ConvBlockSpec => ({
    kind: 'conv',
    name: `conv${++n}`,
    filters,
    kernel,
    stride,
    pad: (kernel - 1) / 2,
  });
  for (const [s, stage] of spec.stages.entries()) {
    const out = blockOutput(spec, stage);
    for (let b = 0; b < stage.blocks; b++) {
      const stride = b === 0 ? stage.stride : 1;
      // The bottleneck's stride sits on its 3x3 conv, as torchvision's (and swav's) "ResNet v1.5".
      const convs =
        spec.block === 'basic'
          ? [conv(stage.filters, 3, stride), conv(stage.filters, 3, 1)]
          : [conv(stage.filters, 1, 1), conv(stage.filters, 3, stride), conv(out, 1, 1)];
      const down: ConvBlockSpec | undefined =
        stride !== 1 || channels !== out
          ? { kind: 'conv', name: `down${s + 1}`, filters: out, kernel: 1, stride, pad: 0 }
          : undefined;
      blocks.push({ convs, down, inChannels: channels });
      channels = out;
    }
  }
  return blocks;
}

/** The BatchNorm after a conv: "conv3" -> "bn3", "down2" -> "downbn2". */
export function resnetBnName(conv: string): string {
  return conv.startsWith('down') ? `downbn${conv.slice(4)}` : `bn${conv.slice(4)}`;
}

/** Output side of the stem's max pool (3x3, stride 2, padding 1). */
export function stemPoolSize(size: number): number {
  return Math.floor((size + 2 - 3) / 2) + 1;
}

/** The layer table of the ResNet trunk (what the inspector shows). */
export function summarizeResNet(options: ModelOptions, k = 0): LayerSummary[] {
  const spec = resnetSpec(options.arch as ResNetArch, options.inputSize);
  const rows: LayerSummary[] = [];
  let channels = options.inputChannels;
  let size = options.inputSize;
  if (options.sobel) {
    channels = 2;
    rows.push({ name: 'sobel', kind: 'sobel', outputShape: [size, size, 2], params: 18, trainable: false });
  }
  const convRows = (c: ConvBlockSpec, inC: number, relu: boolean, from: number) => {
    const out = convOutputSize(from, c.kernel, c.stride, c.pad);
    const shape = [out, out, c.filters];
    rows.push({
      name: c.name,
      kind: 'conv',
      outputShape: shape,
      params: c.kernel * c.kernel * inC * c.filters + c.filters,
      trainable: true,
    });
    rows.push({ name: resnetBnName(c.name), kind: 'bn', outputShape: shape, params: 2 * c.filters, trainable: true });
    if (relu)
      rows.push({ name: `relu${c.name.slice(4)}`, kind: 'relu', outputShape: shape, params: 0, trainable: false });
    return out;
  };
  size = convRows(spec.stem, channels, true, size);
  channels = spec.stem.filters;
  if (spec.stemPool) {
    size = stemPoolSize(size);
    rows.push({ name: 'pool1', kind: 'maxpool', outputShape: [size, size, channels], params: 0, trainable: false });
  }
  for (const block of resnetBlocks(spec)) {
    const inSize = size;
    let inC = block.inChannels;
    for (const c of block.convs) {
      size = convRows(c, inC, true, size);
      inC = c.filters;
    }
    if (block.down) convRows(block.down, block.inChannels, false, inSize);
    channels = inC;
  }
  const units = channels * spec.poolGrid * spec.poolGrid;
  rows.push({ name: 'avgpool', kind: 'flatten', outputShape: [units], params: 0, trainable: false });
  if (k > 0) rows.push({ name: 'top', kind: 'dense', outputShape: [k], params: units * k + k, trainable: true });
  return rows;
}
