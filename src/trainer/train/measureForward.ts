// What `auto` times for the forward-only commands (eval, embed, cluster --model): the command's own network at the
// command's batch, one warm-up forward batch (shader compilation, kernel setup), then the mean of a few. The
// weights are random: the time does not depend on their values. Cached like the training measurement, with the
// kind in the key, since a forward batch costs a third of a training step or less and favours other backends.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendRequest } from '../../protocol/config';
import type { EngineOptions } from '../engine';
import type { StepMeasurement } from '../engine/measuredChoice';
import { webgpuBindingLimit, WebgpuError } from '../engine/webgpuGuard';
import { createModel, type ModelOptions } from '../model';
import { measuringCacheFile, measuringMachine, workloadName } from './measureStep';
import { webgpuFitProblem } from './webgpuLimits';

/** A warm-up batch slower than this is the measurement: that backend already lost. */
const SLOW_BATCH_MS = 10_000;
const TIMED_BATCHES = 3;

export function forwardMeasurement(options: ModelOptions, batch: number, cacheDir?: string): StepMeasurement {
  const { arch, inputSize: s, inputChannels: c, sobel } = options;
  return {
    workload: workloadName(arch, s, c, sobel, batch),
    kind: 'forward batch',
    machine: measuringMachine(),
    cacheFile: measuringCacheFile(cacheDir),
    async time() {
      const model = createModel(options);
      const x = tf.randomNormal([batch, s, s, c], 0, 1, 'float32', options.seed) as tf.Tensor4D;
      const forward = async () => {
        const f = tf.tidy(() => model.features(x));
        await f.data();
        f.dispose();
      };
      try {
        const limit = webgpuBindingLimit();
        const problem = limit === undefined ? undefined : webgpuFitProblem(arch, model.summary(), batch, limit);
        if (problem) throw new WebgpuError(problem);
        let t = performance.now();
        await forward();
        const warmUp = performance.now() - t;
        if (warmUp > SLOW_BATCH_MS) return warmUp;
        t = performance.now();
        for (let i = 0; i < TIMED_BATCHES; i++) await forward();
        return (performance.now() - t) / TIMED_BATCHES;
      } finally {
        x.dispose();
        model.dispose();
      }
    },
  };
}

/**
 * initEngine's options for a forward-only command: with `auto`, time forward batches of `options`' network at
 * `batch` on every backend that loads (DEEPCLUSTER_AUTO_SOFTWARE=1 lets a software adapter compete, as in train);
 * a named backend is obeyed unmeasured.
 */
export function forwardEngineOptions(
  request: BackendRequest,
  options: ModelOptions,
  batch: number,
  cacheDir: string | undefined,
  log: (line: string) => void,
): EngineOptions {
  if (request !== 'auto') return { log };
  return {
    log,
    measure: forwardMeasurement(options, batch, cacheDir),
    allowSoftware: process.env.DEEPCLUSTER_AUTO_SOFTWARE === '1',
  };
}
