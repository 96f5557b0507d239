// SGD exactly as torch.optim.SGD with momentum and coupled L2 weight decay (DeepCluster's optimizers):
//   d <- g + wd * w;   v <- mu * v + d;   w <- w - lr * v
// The body optimizer keeps its momentum buffers across epochs (the official code creates it once); the top layer
// gets a fresh momentum-free one every epoch. Parameters are addressed by the model's stable weight names, so the
// momentum buffers can be written into and read back from a checkpoint.
import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from '../model/ownedVariable';
import type { ConvNet } from '../model/types';
import { shardsOf, splitColumns } from '../model/denseShards';

export interface SgdOptions {
  lr: number;
  /** 0 disables the momentum buffers altogether (the top-layer optimizer). */
  momentum: number;
  weightDecay: number;
}

/** Prefix of the momentum buffers in exported optimizer state: "momentum/conv1.weight", ... */
export const MOMENTUM_PREFIX = 'momentum/';

export class Sgd {
  readonly options: SgdOptions;
  private readonly params: Map<string, tf.Variable>;
  private readonly velocity = new Map<string, tf.Variable>();

  constructor(params: Map<string, tf.Variable>, options: SgdOptions) {
    this.params = new Map(params);
    this.options = { ...options };
  }

  /** The parameters this optimizer updates, in a fixed order. */
  variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  /** One update from gradients given in the order of `variables()`. Does not dispose the gradients. */
  step(grads: tf.Tensor[]): void {
    const { lr, momentum, weightDecay } = this.options;
    const names = [...this.params.keys()];
    if (grads.length !== names.length)
      throw new Error(`Sgd.step: ${grads.length} gradients for ${names.length} parameters`);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const w = this.params.get(name)!;
        const d = weightDecay !== 0 ? tf.add(grads[i], tf.mul(w, weightDecay)) : grads[i];
        let direction = d;
        if (momentum !== 0) {
          let v = this.velocity.get(name);
          // PyTorch's first step sets the buffer to d itself, which is mu * 0 + d.
          if (!v) {
            v = ownedVariable(tf.zerosLike(w), false);
            this.velocity.set(name, v);
          }
          v.assign(tf.add(tf.mul(v, momentum), d));
          direction = v;
        }
        w.assign(tf.sub(w, tf.mul(direction, lr)));
      });
    });
  }

  /** Momentum buffers by name ("momentum/<weight name>"); copies, owned by the caller. */
  exportState(): Map<string, tf.Tensor> {
    const state = new Map<string, tf.Tensor>();
    for (const [name, v] of this.velocity) state.set(MOMENTUM_PREFIX + name, tf.clone(v));
    return state;
  }

  /**
   * Restores buffers written by exportState; entries for unknown parameters or of the wrong shape are errors. A
   * checkpoint holds whole layers' buffers: one for a layer this model holds as shards is split like it.
   */
  importState(state: Map<string, tf.Tensor>): void {
    for (const [key, t] of state) {
      if (!key.startsWith(MOMENTUM_PREFIX)) continue;
      const name = key.slice(MOMENTUM_PREFIX.length);
      const shards = this.params.has(name) ? [] : shardsOf(name, this.params.keys());
      if (shards.length) {
        const parts = splitColumns(
          t,
          shards.map((s) => s.end - s.start),
        );
        this.importState(new Map(shards.map((s, i) => [MOMENTUM_PREFIX + s.name, parts[i]])));
        tf.dispose(parts);
        continue;
      }
      const w = this.params.get(name);
      if (!w) throw new Error(`optimizer state has momentum for unknown parameter '${name}'`);
      if (!tf.util.arraysEqual(w.shape, t.shape)) {
        throw new Error(`optimizer state '${key}' has shape [${t.shape}], parameter has [${w.shape}]`);
      }
      const existing = this.velocity.get(name);
      if (existing) existing.assign(t);
      else this.velocity.set(name, ownedVariable(tf.clone(t), false));
    }
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}

/** The model's trainable body or top parameters under their stable names (see ConvNet.namedWeights). */
export function namedParameters(model: ConvNet, part: 'body' | 'top'): Map<string, tf.Variable> {
  const wanted = new Set(part === 'body' ? model.bodyVariables() : model.topVariables());
  const named = new Map<string, tf.Variable>();
  for (const [name, v] of model.namedWeights()) if (wanted.has(v)) named.set(name, v);
  if (named.size !== wanted.size)
    throw new Error(`namedParameters: ${wanted.size - named.size} ${part} variables have no name`);
  return named;
}

/** Body optimizer: created once per run, momentum persists across epochs. */
export function bodyOptimizer(model: ConvNet, options: SgdOptions): Sgd {
  return new Sgd(namedParameters(model, 'body'), options);
}

/** Top-layer optimizer: created for each new top layer, no momentum (official `optimizer_tl`). */
export function topOptimizer(model: ConvNet, options: Omit<SgdOptions, 'momentum'>): Sgd {
  return new Sgd(namedParameters(model, 'top'), { ...options, momentum: 0 });
}
