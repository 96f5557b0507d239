// What `deepcluster inspect FILE.pth.tar --json` prints for a PyTorch checkpoint (src/trainer/cli/inspectPytorch.ts
// writes it), as the extension's editor for .pth / .pth.tar / .pt files reads it.
export interface PytorchReportJson {
  kind: 'pytorch';
  path: string;
  format: 'zip' | 'legacy';
  bytes: number;
  /** Absent when the state_dict is not one of ours (`notOurs` says why). */
  model?: {
    options: { arch: string; inputSize: number; inputChannels: number; sobel: boolean };
    k: number;
    head?: { hiddenDim?: number; outputDim: number; prototypes: number[] };
    archField?: string;
    epoch?: number;
    dataParallel: boolean;
    optimizer?: { tensors: number; params: number };
    params: number;
    layers: { name: string; kind: string; outputShape: number[]; params: number }[];
  };
  notOurs?: string;
  topKeys: string[];
  tensors: { name: string; shape: number[]; dtype: string }[];
}
