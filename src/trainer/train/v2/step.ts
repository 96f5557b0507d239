// One optimisation step of DeepCluster-v2: every crop of a batch goes through the trunk (one pass per crop size,
// so BatchNorm statistics stay per resolution, as swav's multi-resolution forward), the projection head embeds
// them all, and each prototype set scores them. The loss is, per set, the cross-entropy of scores / temperature
// against the image's assignment (the same target for every crop of the image), averaged over the sets.
// Gradients reach the trunk and the head; the prototypes are constants. Returns the loss and the two large
// crops' embeddings (detached) for the memory bank.
import * as tf from '@tensorflow/tfjs-core';
import type { MultiCropBatch } from '../../data/multiCrop';
import type { ConvNet } from '../../model/types';
import type { ProjectionHead } from '../../model/projectionHead';
import { webgpuChecked } from '../../engine/webgpuGuard';
import type { Sgd } from '../sgd';

export interface V2StepResult {
  loss: number;
  /** Per prototype set. */
  headLosses: number[];
  /** 2 x batch rows of embeddingDim: crop 0 of every image, then crop 1. */
  bankEmbeddings: Float32Array;
}

/** Mean over rows of -log softmax(scores / T)[target]. oneHot keeps the backward pass free of scatter kernels. */
export function prototypeCrossEntropy(scores: tf.Tensor2D, targets: tf.Tensor1D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(tf.div(scores, temperature));
    const oneHot = tf.oneHot(tf.cast(targets, 'int32'), scores.shape[1]);
    return tf.div(tf.neg(tf.sum(tf.mul(oneHot, logProbs))), scores.shape[0]) as tf.Scalar;
  });
}

export function v2TrainStep(
  model: ConvNet,
  head: ProjectionHead,
  crops: MultiCropBatch,
  targets: Int32Array[],
  optimizer: Sgd,
  temperature: number,
): Promise<V2StepResult> {
  // On webgpu a Dawn error inside the step aborts it (one line naming the op) instead of returning garbage.
  return webgpuChecked('v2 training step', () => uncheckedV2Step(model, head, crops, targets, optimizer, temperature));
}

async function uncheckedV2Step(
  model: ConvNet,
  head: ProjectionHead,
  crops: MultiCropBatch,
  targets: Int32Array[],
  optimizer: Sgd,
  temperature: number,
): Promise<V2StepResult> {
  const batch = targets[0].length;
  const cropsPerImage = crops.large.shape[0] / batch + (crops.small ? crops.small.shape[0] / batch : 0);
  let bank: tf.Tensor | null = null;
  let perHead: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const parts = [model.trainingFeatures(crops.large)];
    if (crops.small) parts.push(model.trainingFeatures(crops.small));
    const z = head.embed(parts.length > 1 ? tf.concat(parts, 0) : parts[0], true);
    bank = tf.keep(tf.slice(z, [0, 0], [2 * batch, -1]));
    const losses = targets.map((t, h) => {
      const repeated = tf.tile(tf.tensor1d(t, 'int32'), [cropsPerImage]) as tf.Tensor1D;
      return prototypeCrossEntropy(head.scores(z, h), repeated, temperature);
    });
    perHead = tf.keep(tf.stack(losses));
    return tf.div(tf.addN(losses), losses.length) as tf.Scalar;
  }, optimizer.variables());
  try {
    optimizer.step(
      optimizer.variables().map((v) => {
        const g = grads[v.name];
        if (!g) throw new Error(`v2 step: no gradient for variable ${v.name}`);
        return g;
      }),
    );
    return {
      loss: (await value.data())[0],
      headLosses: Array.from(await perHead!.data()),
      bankEmbeddings: (await bank!.data()) as Float32Array,
    };
  } finally {
    tf.dispose([value, ...Object.values(grads), ...(bank ? [bank] : []), ...(perHead ? [perHead] : [])]);
  }
}
