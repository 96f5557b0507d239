// tfjs-backend-webgpu 4.22 computes a convolution's filter gradient with a naive shader: one invocation per weight,
// each looping serially over batch x output height x width and reading both operands from memory, without tiling.
// Profiled on lavapipe it ran at 0.3-0.5 GFLOP/s, 4-6x below the forward and input-gradient convolutions of the
// same shapes, and took ~60% of a smallvgg training step (BENCHMARKS.md). Here it is GEMMs on tfjs's tiled matMul
// instead: for every filter tap (kh, kw), dW[kh, kw] = X_tap^T x dY, where X_tap is the strided view of the padded
// input that the tap meets, [rows, inC], and dY is [rows, outC]; the taps side by side give the filter's own
// (kh, kw, in, out) order (with few input channels, all taps' views side by side in one product: im2col). The rows
// (batch x outH x outW) are split in groups of whole images that become the matMul's batch dimension and are summed
// afterwards: short inner loops and many workgroups, which a hardware GPU needs too (tfjs would otherwise give one
// long serial inner dimension to a few tiles). Images are processed in chunks so that no tensor exceeds the
// adapter's storage-binding limit. Anything not handled (NCHW, non-float32, one image over the limit) runs the
// original kernel.
import * as tf from '@tensorflow/tfjs-core';

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * Whether all taps' views go side by side into one product ([rows, kh*kw*inC], im2col) rather than one product per
 * tap: for few input channels, where a per-tap product would be narrower than a matMul tile (32) and mostly padding.
 * Measured on lavapipe for smallvgg's conv1 (Sobel's 2 channels -> 64, 3x3): 1.5 s per tap, 0.2 s at once.
 */
const columnsAtOnce = (inChannels: number) => inChannels < 32;

/** Rows (output pixels) a group aims for: enough to keep a tile busy, short enough for many groups. */
const GROUP_ROWS = 1024;

export interface FilterGradPlan {
  /** Images per chunk (the last chunk may hold fewer). */
  chunk: number;
  /** Images a matMul group aims for (a chunk is split into equal groups of about this many). */
  group: number;
}

/**
 * How many images go into a chunk and into a group, so that the chunk's padded input, a tap's view of it, its dY and
 * the groups' partial filter gradients each stay within `limit` bytes; undefined when one image's do not.
 */
export function planFilterGrad(
  info: {
    batchSize: number;
    inHeight: number;
    inWidth: number;
    inChannels: number;
    outHeight: number;
    outWidth: number;
    outChannels: number;
    filterHeight: number;
    filterWidth: number;
    padInfo: { top: number; bottom: number; left: number; right: number };
  },
  limit: number,
): FilterGradPlan | undefined {
  const pixels = info.outHeight * info.outWidth;
  const taps = info.filterHeight * info.filterWidth;
  const perImage =
    4 *
    Math.max(
      pixels * info.inChannels * (columnsAtOnce(info.inChannels) ? taps : 1), // the taps' views of one image
      (info.inHeight + info.padInfo.top + info.padInfo.bottom) *
        (info.inWidth + info.padInfo.left + info.padInfo.right) *
        info.inChannels,
      pixels * info.outChannels, // dY
    );
  const filterBytes = 4 * taps * info.inChannels * info.outChannels;
  if (perImage > limit || filterBytes > limit) return undefined;
  const maxGroups = Math.max(1, Math.floor(limit / filterBytes));
  let chunk = Math.min(info.batchSize, Math.floor(limit / perImage));
  const group = Math.min(chunk, Math.max(1, Math.ceil(GROUP_ROWS / pixels)));
  // Partial gradients of every group in a chunk are bound at once.
  if (chunk > maxGroups * group) chunk = maxGroups * group;
  return { chunk, group };
}

/** The number of equal groups closest to, but not above, `images / group` (at least 1). */
export function groupsFor(images: number, group: number): number {
  for (let g = Math.max(1, Math.min(images, Math.round(images / group))); g > 1; g--) if (images % g === 0) return g;
  return 1;
}

/**
 * partial summed over its first axis, as AddN of its slices, at most `maxInputs` at a time (a shader binds each
 * input; lavapipe allows 8 storage buffers a stage). tfjs's Sum over a leading axis transposes first: 944 ms on
 * lavapipe for [2, 1152, 256], where this takes 15.
 */
export function sumLeading(partial: tf.Tensor, maxInputs: number): tf.Tensor {
  const parts = tf.unstack(partial);
  let acc = parts[0];
  for (let i = 1; i < parts.length; i += maxInputs - 1) acc = tf.addN([acc, ...parts.slice(i, i + maxInputs - 1)]);
  return acc;
}

/** dW for NHWC float32 x and dy, as X_tap^T x dY per tap and chunk of images (see the top of this file). */
export function filterGradAsMatMul(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
  plan: FilterGradPlan,
  maxInputs = 7,
): tf.Tensor4D {
  const { filterHeight: fh, filterWidth: fw, inChannels: inC, outChannels: outC, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, padInfo } = info;
  const n = info.batchSize;
  let total: tf.Tensor | undefined;
  for (let start = 0; start < n; start += plan.chunk) {
    const images = Math.min(plan.chunk, n - start);
    const part = tf.tidy(() => {
      const xc = images === n ? x : tf.slice(x, [start, 0, 0, 0], [images, -1, -1, -1]);
      const dyc = images === n ? dy : tf.slice(dy, [start, 0, 0, 0], [images, -1, -1, -1]);
      const padded = tf.pad(xc, [
        [0, 0],
        [padInfo.top, padInfo.bottom],
        [padInfo.left, padInfo.right],
        [0, 0],
      ]);
      const groups = groupsFor(images, plan.group);
      const rows = (images / groups) * oh * ow;
      const b = tf.reshape(dyc, [groups, rows, outC]);
      const views: tf.Tensor[] = [];
      for (let i = 0; i < fh; i++)
        for (let j = 0; j < fw; j++) {
          const begin = [0, i * dh, j * dw, 0];
          const end = [images, i * dh + (oh - 1) * sh + 1, j * dw + (ow - 1) * sw + 1, inC];
          views.push(
            sh === 1 && sw === 1
              ? tf.slice(padded, begin, [images, oh, ow, inC])
              : tf.stridedSlice(padded, begin, end, [1, sh, sw, 1]),
          );
        }
      // One product per tap, each [groups, inC, outC], side by side in the filter's (kh, kw, in) order. Measured on
      // lavapipe against one product of all taps' columns (im2col, concatenated): 3.8 s against 5.7 s for the
      // [32, 28, 28, 64] layer, the concatenation alone costing 1.6 s. Few channels: all at once.
      const product = (view: tf.Tensor, width: number) => tf.matMul(tf.reshape(view, [groups, rows, width]), b, true);
      const partial =
        views.length === 1
          ? product(views[0], inC)
          : columnsAtOnce(inC)
            ? product(tf.concat(views, 3), fh * fw * inC)
            : tf.concat(
                views.map((v) => product(v, inC)),
                1,
              );
      return groups === 1 ? tf.reshape(partial, [fh * fw * inC, outC]) : sumLeading(partial, maxInputs);
    });
    if (total) {
      const sum = tf.add(total, part);
      tf.dispose([total, part]);
      total = sum;
    } else total = part;
  }
  const out = tf.reshape(total as tf.Tensor, [fh, fw, inC, outC]) as tf.Tensor4D;
  total?.dispose();
  return out;
}

let installed = false;
let enabled = true;

/** Whether the override runs (default) or tfjs's own shader: for webgpu-profile's before/after comparison. */
export function setFilterGradAsGemm(on: boolean): void {
  enabled = on;
}

/** Re-registers webgpu's Conv2DBackpropFilter as filterGradAsMatMul, keeping the original for what it skips. */
export function filterGradAsGemm(): void {
  if (installed) return;
  installed = true;
  const kernel = tf.getKernel('Conv2DBackpropFilter', 'webgpu');
  if (!kernel) return;
  const original = kernel.kernelFunc;
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  tf.registerKernel({
    ...kernel,
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const attrs = args.attrs as unknown as FilterGradAttrs;
      if (!enabled || attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32')
        return original(args);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        attrs.filterShape,
        attrs.strides,
        1, // tfjs's conv2d gradient supports no dilation (it asserts so), and the kernel takes none
        attrs.pad,
        attrs.dimRoundingMode,
      );
      const { device } = args.backend as unknown as {
        device: { limits: { maxStorageBufferBindingSize: number; maxStorageBuffersPerShaderStage: number } };
      };
      const plan = planFilterGrad(info, device.limits.maxStorageBufferBindingSize);
      if (!plan) return original(args);
      // The kernel's inputs are TensorInfos; as tensors on their data they feed ordinary ops. makeTensorFromTensorInfo
      // takes no reference on the data, and disposing the wrapper drops one, so take one for each.
      const wrap = (t: tf.TensorInfo) => {
        (args.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(t.dataId);
        return tf.engine().makeTensorFromTensorInfo(t) as tf.Tensor4D;
      };
      const xt = wrap(x);
      const dyt = wrap(dy);
      try {
        return filterGradAsMatMul(xt, dyt, info, plan, device.limits.maxStorageBuffersPerShaderStage - 1);
      } finally {
        tf.dispose([xt, dyt]);
      }
    },
  });
}
