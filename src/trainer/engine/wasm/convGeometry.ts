import { backend_util, type Conv2DBackpropFilterAttrs, type NamedAttrMap } from '@tensorflow/tfjs-core';

type ConvGradAttrs = Pick<Conv2DBackpropFilterAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'>;

/**
 * The forward convolution's geometry (padding resolved to explicit top/left, output size), as the gradient
 * kernels need it. Rejects what they do not implement, with a message that says so.
 */
export function forwardConvInfo(
  kernelName: string,
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvGradAttrs & NamedAttrMap,
): backend_util.Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernelName} (wasm): only dataFormat 'NHWC' is supported, got '${attrs.dataFormat}'`);
  }
  // The standard attrs carry no dilations (tf.grad refuses dilated conv2d), but a caller may pass them.
  const dilations = attrs.dilations as number | [number, number] | undefined;
  if (dilations !== undefined && !(Array.isArray(dilations) ? dilations.every((d) => d === 1) : dilations === 1)) {
    throw new Error(`${kernelName} (wasm): dilations other than 1 are not supported, got ${JSON.stringify(dilations)}`);
  }
  return backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}
