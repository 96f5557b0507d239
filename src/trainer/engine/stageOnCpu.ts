// A forward-only command (eval, embed, cluster) or `train --init` learns what `auto` should measure from a
// checkpoint, and reading a checkpoint makes tensors. Those are made on tfjs's pure-JS cpu backend first: measuring
// starts and releases candidate backends (releasing webgpu frees its memory), which must not take the weights with
// it. The backend `auto` then chooses takes each tensor over on first use (tfjs moves data between registered
// backends), once.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

/** Makes cpu the active backend until initEngine picks the real one; returns undefined (no engine chosen yet). */
export async function stageOnCpu(): Promise<undefined> {
  if (!(await tf.setBackend('cpu'))) throw new Error('tfjs-backend-cpu failed to initialise');
  return undefined;
}
