// The three architectures as plain data, like the official `cfg` lists: a `features` part (conv blocks and max
// pools) and a `classifier` part ending at fc7 before its ReLU. Shapes and parameter counts are derived from this
// data alone, so they can be checked (or shown) without allocating a single weight.
import type { ArchName } from '../../protocol/config';

/** conv -> BatchNorm -> ReLU, as every conv in DeepCluster's models (`bn=True`). */
export interface ConvBlockSpec {
  kind: 'conv';
  /** "conv1", ...; its BatchNorm is "bn1", its ReLU "relu1". */
  name: string;
  filters: number;
  kernel: number;
  stride: number;
  /** Zero padding on each side (PyTorch `padding`). */
  pad: number;
}
export interface MaxPoolSpec {
  kind: 'maxpool';
  name: string;
  size: number;
  stride: number;
}
export type FeatureLayerSpec = ConvBlockSpec | MaxPoolSpec;

export type ClassifierLayerSpec =
  | { kind: 'dropout'; name: string; rate: number }
  | { kind: 'dense'; name: 'fc6' | 'fc7'; units: number }
  | { kind: 'relu'; name: string };

export interface ArchitectureSpec {
  arch: ArchName;
  features: FeatureLayerSpec[];
  /** Flatten, then these; the last one is fc7 (its ReLU is applied only on the way to the top layer). */
  classifier: ClassifierLayerSpec[];
  featureDim: number;
}

/** Conv channels and 'M' (max pool), as in the official code's configs. */
type Cfg = (number | 'M')[];

function convBlocks(cfg: Cfg, kernel: number, pool: { size: number; stride: number }): FeatureLayerSpec[] {
  const layers: FeatureLayerSpec[] = [];
  let convs = 0;
  let pools = 0;
  for (const c of cfg) {
    if (c === 'M') layers.push({ kind: 'maxpool', name: `pool${++pools}`, ...pool });
    else layers.push({ kind: 'conv', name: `conv${++convs}`, filters: c, kernel, stride: 1, pad: (kernel - 1) / 2 });
  }
  return layers;
}

/** Dropout 0.5, fc6, ReLU, Dropout 0.5, fc7: the AlexNet classifier (also smallvgg's). */
function alexnetClassifier(units: number): ClassifierLayerSpec[] {
  return [
    { kind: 'dropout', name: 'dropout6', rate: 0.5 },
    { kind: 'dense', name: 'fc6', units },
    { kind: 'relu', name: 'relu6' },
    { kind: 'dropout', name: 'dropout7', rate: 0.5 },
    { kind: 'dense', name: 'fc7', units },
  ];
}

export function architectureSpec(arch: ArchName): ArchitectureSpec {
  switch (arch) {
    case 'smallvgg':
      return {
        arch,
        features: convBlocks([64, 64, 'M', 128, 128, 'M', 256, 'M'], 3, { size: 2, stride: 2 }),
        classifier: alexnetClassifier(512),
        featureDim: 512,
      };
    case 'alexnet': {
      // CFG['2012']: (96, 11, 4, 2), M, (256, 5, 1, 2), M, (384, 3, 1, 1), (384, 3, 1, 1), (256, 3, 1, 1), M.
      const pool = { kind: 'maxpool', size: 3, stride: 2 } as const;
      const conv = (n: number, filters: number, kernel: number, stride: number, pad: number): ConvBlockSpec => ({
        kind: 'conv',
        name: `conv${n}`,
        filters,
        kernel,
        stride,
        pad,
      });
      return {
        arch,
        features: [
          conv(1, 96, 11, 4, 2),
          { ...pool, name: 'pool1' },
          conv(2, 256, 5, 1, 2),
          { ...pool, name: 'pool2' },
          conv(3, 384, 3, 1, 1),
          conv(4, 384, 3, 1, 1),
          conv(5, 256, 3, 1, 1),
          { ...pool, name: 'pool3' },
        ],
        classifier: alexnetClassifier(4096),
        featureDim: 4096,
      };
    }
    case 'vgg16':
      return {
        arch,
        features: convBlocks(
          [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
          3,
          { size: 2, stride: 2 },
        ),
        // VGG has no dropout before fc6.
        classifier: [
          { kind: 'dense', name: 'fc6', units: 4096 },
          { kind: 'relu', name: 'relu6' },
          { kind: 'dropout', name: 'dropout7', rate: 0.5 },
          { kind: 'dense', name: 'fc7', units: 4096 },
        ],
        featureDim: 4096,
      };
    default:
      throw new Error(`unknown architecture "${String(arch)}"; valid: smallvgg, alexnet, vgg16`);
  }
}

/** PyTorch's output size of a conv or a floor-mode pool along one axis. */
export function convOutputSize(input: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((input + 2 * pad - kernel) / stride) + 1;
}

/** Spatial size after each feature layer, or the first layer whose window does not fit. */
export function featureSizes(
  spec: ArchitectureSpec,
  inputSize: number,
): { sizes: number[] } | { tooSmallAt: FeatureLayerSpec; input: number } {
  const sizes: number[] = [];
  let s = inputSize;
  for (const layer of spec.features) {
    const pad = layer.kind === 'conv' ? layer.pad : 0;
    const window = layer.kind === 'conv' ? layer.kernel : layer.size;
    if (s + 2 * pad < window) return { tooSmallAt: layer, input: s };
    s = convOutputSize(s, window, layer.stride, pad);
    sizes.push(s);
  }
  return { sizes };
}

/** The smallest square input every layer of the architecture fits. */
export function minimumInputSize(spec: ArchitectureSpec): number {
  for (let s = 1; ; s++) if ('sizes' in featureSizes(spec, s)) return s;
}

/** Throws a one-line error when the input size cannot go through the architecture. */
export function checkInputSize(spec: ArchitectureSpec, inputSize: number): void {
  if (!Number.isInteger(inputSize) || inputSize < 1)
    throw new Error(`${spec.arch}: input size must be a positive integer, got ${inputSize}`);
  const r = featureSizes(spec, inputSize);
  if ('sizes' in r) return;
  const l = r.tooSmallAt;
  const window = l.kind === 'conv' ? `${l.kernel}x${l.kernel} kernel (padding ${l.pad})` : `${l.size}x${l.size} window`;
  throw new Error(
    `${spec.arch} needs an input of at least ${minimumInputSize(spec)} px: at ${inputSize} px, ${l.name} gets ${r.input}x${r.input}, smaller than its ${window}`,
  );
}
