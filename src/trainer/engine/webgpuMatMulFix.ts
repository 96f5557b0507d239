// tfjs-backend-webgpu 4.22 computes a wrong product with MatMulSplitKProgram when B is transposed (relative error
// ~1 against the cpu backend; the same shapes without the transpose, or with the other programs, agree to 1e-6).
// tfjs picks that program for few output tiles and a long inner dimension: a small batch through a dense layer's
// input gradient, dY [n, out] x W^T with W [in, out], e.g. AlexNet's fc7 -> fc6 gradient at batch <= 8. Found by
// AlexNet's conv gradients disagreeing with wasm (test/unit/engine/webgpuAlexnet.test.ts); the shape, not the
// adapter, selects the program, so it is not lavapipe's doing. Such calls run with the small-output-size program
// instead (the next choice tfjs itself makes for few tiles), by setting its program-type flag around them.
import * as tf from '@tensorflow/tfjs-core';

/** tfjs-backend-webgpu's MatMulProgramType values. */
const SPLIT_K = 1;
const SMALL_OUTPUT_SIZE = 2;

interface MatMulAttrs {
  transposeA?: boolean;
  transposeB?: boolean;
}

/** Whether tfjs 4.22's batchMatMulImpl would pick MatMulSplitKProgram (its selection, restated). */
export function picksSplitK(aShape: number[], bShape: number[], attrs: MatMulAttrs, threshold: number): boolean {
  const { transposeA = false, transposeB = false } = attrs;
  const ar = aShape.length,
    br = bShape.length;
  const outerA = transposeA ? aShape[ar - 1] : aShape[ar - 2];
  const outerB = transposeB ? bShape[br - 2] : bShape[br - 1];
  const inner = transposeB ? bShape[br - 1] : bShape[br - 2];
  const batch = Math.max(
    aShape.slice(0, -2).reduce((x, y) => x * y, 1),
    bShape.slice(0, -2).reduce((x, y) => x * y, 1),
  );
  const tiles = batch * Math.ceil(outerA / 32) * Math.ceil(outerB / 32);
  const few = tiles <= threshold || (outerA <= 8 && tiles <= threshold * 2);
  return few && batch * outerA * outerB > 128 && batch === 1 && inner >= 2000;
}

let installed = false;

/** Re-registers webgpu's BatchMatMul and _FusedMatMul so a transposed-B split-K product takes another program. */
export function avoidSplitKTransposeB(): void {
  if (installed) return;
  installed = true;
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const kernel = tf.getKernel(name, 'webgpu');
    if (!kernel) continue;
    const original = kernel.kernelFunc;
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        const attrs = args.attrs as MatMulAttrs;
        const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const flag = tf.env().getNumber('WEBGPU_MATMUL_PROGRAM_TYPE');
        const threshold = (args.backend as unknown as { thresholdToIncreaseWorkgroups: number })
          .thresholdToIncreaseWorkgroups;
        const thresholdFlag = tf.env().getNumber('WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL');
        const wouldSplitK =
          flag === SPLIT_K ||
          (flag < 0 && picksSplitK(a.shape, b.shape, attrs, thresholdFlag > 0 ? thresholdFlag : threshold));
        if (!attrs.transposeB || !wouldSplitK) return original(args);
        tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', SMALL_OUTPUT_SIZE);
        try {
          return original(args);
        } finally {
          tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', flag);
        }
      },
    });
  }
}
