// What `auto` times on each candidate backend: the run's own network at the run's batch, one warm-up step (shader
// compilation, kernel setup) and then the mean of two training steps of the 2018 recipe's step (v2's multi-crop
// step costs about as many convolutions per image; what matters is which backend is faster, not the exact time).
import { availableParallelism, cpus, hostname } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../protocol/config';
import { defaultCacheDir } from '../data';
import type { StepMeasurement } from '../engine/measuredChoice';
import { wasmMicroBatch } from './microBatch';
import { webgpuBindingLimit, WebgpuError } from '../engine/webgpuGuard';
import { webgpuFitProblem } from './webgpuLimits';
import { createModel } from '../model';
import { bodyOptimizer, topOptimizer } from './sgd';
import { trainStep } from './step';

/** A warm-up step slower than this is the measurement: the backend already lost to anything that trains in seconds. */
const SLOW_STEP_MS = 10_000;
const TIMED_STEPS = 2;

/** This machine, for the timing cache's key. */
export const measuringMachine = () =>
  `${hostname()}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores`;

/** The timing cache, in the data cache folder. */
export const measuringCacheFile = (cacheDir: string | undefined) =>
  join(cacheDir ?? defaultCacheDir(), 'backend-step-times.json');

/** "smallvgg 28x28x1 sobel batch 256": the model and batch a measurement is of. */
export const workloadName = (arch: string, size: number, channels: number, sobel: boolean, batch: number) =>
  `${arch} ${size}x${size}x${channels}${sobel ? ' sobel' : ''} batch ${batch}`;

export function trainingStepMeasurement(config: TrainConfig, channels: number): StepMeasurement {
  const { arch, inputSize: s, batchSize: batch } = config;
  return {
    workload: workloadName(arch, s, channels, config.sobel, batch),
    machine: measuringMachine(),
    cacheFile: measuringCacheFile(config.cacheDir),
    async time() {
      const model = createModel({
        arch,
        inputSize: s,
        inputChannels: channels,
        sobel: config.sobel,
        seed: config.seed,
      });
      const limit = webgpuBindingLimit();
      const problem =
        limit === undefined ? undefined : webgpuFitProblem(arch, model.summary(), config.microBatch ?? batch, limit);
      if (problem) {
        model.dispose();
        throw new WebgpuError(problem);
      }
      const k = Math.max(2, Math.min(config.k, 1000));
      model.resetTopLayer(k, config.seed);
      const x = tf.randomNormal([batch, s, s, channels], 0, 1, 'float32', config.seed) as tf.Tensor4D;
      const labels = tf.tensor1d(
        Int32Array.from({ length: batch }, (_, i) => i % k),
        'int32',
      );
      const optimizers = {
        body: bodyOptimizer(model, { lr: 1e-3, momentum: 0.9, weightDecay: 1e-5 }),
        top: topOptimizer(model, { lr: 1e-3, weightDecay: 1e-5 }),
      };
      const microBatch =
        config.microBatch ?? (tf.getBackend() === 'wasm' ? wasmMicroBatch(model.summary(), batch) : undefined);
      const step = () => trainStep(model, x, labels, optimizers, { microBatch });
      try {
        let t = performance.now();
        await step();
        const warmUp = performance.now() - t;
        if (warmUp > SLOW_STEP_MS) return warmUp;
        t = performance.now();
        for (let i = 0; i < TIMED_STEPS; i++) await step();
        return (performance.now() - t) / TIMED_STEPS;
      } finally {
        tf.dispose([x, labels]);
        optimizers.body.dispose();
        optimizers.top.dispose();
        model.dispose();
      }
    },
  };
}
