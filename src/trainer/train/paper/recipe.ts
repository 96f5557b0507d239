// The 2018 recipe in a run: the body's optimizer, the wasm micro-batch, and the state a checkpoint restores on
// `resume` (weights without the top layer, momentum buffers, the last assignments for NMI). The method is loop.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { EngineInfo } from '../../../protocol/engine';
import { wasmMicroBatch } from '../microBatch';
import { loadCheckpoint } from '../../run/checkpoint';
import { bodyOptimizer } from '../sgd';
import { runPaperEpochs, type PaperRun } from './loop';

export interface PaperRecipeContext extends Omit<PaperRun, 'body' | 'microBatch'> {
  engine: EngineInfo;
  /** The checkpoint to resume from. */
  checkpointDir?: string;
  /** Called once the first epoch to run is known (after a checkpoint was restored). */
  onStart(startEpoch: number): Promise<void>;
  log(line: string): void;
}

export async function runPaperRecipe(ctx: PaperRecipeContext): Promise<void> {
  const { config, model } = ctx;
  const body = bodyOptimizer(model, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
  try {
    let startEpoch = 0;
    let previous: Int32Array | undefined;
    if (ctx.checkpointDir) {
      const ck = await loadCheckpoint(ctx.checkpointDir);
      // The top layer is re-created every epoch: only the body's weights and momentum carry over.
      model.loadWeights(new Map([...ck.weights].filter(([name]) => !name.startsWith('top.'))));
      if (ck.optimizer) body.importState(ck.optimizer.state);
      tf.dispose([...ck.weights.values(), ...(ck.optimizer ? [...ck.optimizer.state.values()] : [])]);
      previous = ck.assignments;
      startEpoch = ck.epoch + 1;
      ctx.log(`resuming ${ctx.runDir} after epoch ${ck.epoch} (${ctx.checkpointDir})`);
    }
    await ctx.onStart(startEpoch);
    // The wasm heap is capped at 4 GiB: split large batches into micro-batches that fit (gradients accumulate;
    // BatchNorm statistics then come from each micro-batch).
    const microBatch =
      config.microBatch ??
      (ctx.engine.backend === 'wasm' ? wasmMicroBatch(model.summary(), config.batchSize) : undefined);
    if (microBatch && microBatch < config.batchSize)
      ctx.log(`batch ${config.batchSize} runs as micro-batches of ${microBatch}`);
    await runPaperEpochs({ ...ctx, body, microBatch }, startEpoch, previous);
  } finally {
    body.dispose();
  }
}
