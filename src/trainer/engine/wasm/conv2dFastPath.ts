// Conv2D and FusedConv2D for the wasm backend: 3x3 stride-1 convolutions (with a bias and ReLU or none, for the
// fused one) take the Winograd route (conv2dWinograd.ts); everything else calls the backend's own kernel.
import {
  backend_util,
  Conv2D,
  FusedConv2D,
  type Conv2DAttrs,
  type FusedConv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { winogradApplies, winogradConv2d } from './conv2dWinograd';

type ConvArgs = {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DAttrs | FusedConv2DAttrs;
};

/** The geometry of a float32 NHWC convolution, or undefined for one the Winograd route never takes. */
function geometry({ inputs, attrs }: ConvArgs): backend_util.Conv2DInfo | undefined {
  const { x, filter } = inputs;
  if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

function wrap(original: KernelConfig, kernelFunc: (args: ConvArgs) => TensorInfo): KernelConfig {
  return {
    kernelName: original.kernelName,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}

export function makeConv2DConfig(original: KernelConfig): KernelConfig {
  return wrap(original, (args) => {
    const info = geometry(args);
    if (info && winogradApplies(info, args.backend)) {
      return winogradConv2d(args.inputs.x, args.inputs.filter, info, args.backend);
    }
    return original.kernelFunc(args as never) as TensorInfo;
  });
}

export function makeFusedConv2DConfig(original: KernelConfig): KernelConfig {
  return wrap(original, (args) => {
    const { bias, preluActivationWeights } = args.inputs;
    const { activation } = args.attrs as FusedConv2DAttrs;
    const plain =
      preluActivationWeights == null &&
      (activation === 'relu' || activation === 'linear') &&
      (bias == null || (bias.dtype === 'float32' && bias.shape.length === 1));
    const info = plain ? geometry(args) : undefined;
    if (info && (bias == null || bias.shape[0] === info.outChannels) && winogradApplies(info, args.backend)) {
      return winogradConv2d(args.inputs.x, args.inputs.filter, info, args.backend, bias, activation === 'relu');
    }
    return original.kernelFunc(args as never) as TensorInfo;
  });
}

export const convWrappers: Array<[string, (original: KernelConfig) => KernelConfig]> = [
  [Conv2D, makeConv2DConfig],
  [FusedConv2D, makeFusedConv2DConfig],
];
