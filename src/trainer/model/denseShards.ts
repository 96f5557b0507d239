// Dense layers wider than one WebGPU binding. A shader sees a tensor through one storage-buffer binding of at most
// maxStorageBufferBindingSize bytes (128 MiB on lavapipe), and AlexNet's fc6 at 224 px is 144 MiB. Such a weight
// [in, out] is kept as column shards W = [W_1 | W_2 | ...] (with the bias split the same way): each shard's
// product, gradient and momentum buffer binds less than the limit. Shards are named "fc6.weight[0:2048]" (the
// output columns they hold); checkpoints store the merged tensor under the plain name, so the format is the same
// whether a run trained sharded or not.
import * as tf from '@tensorflow/tfjs-core';

/** Column widths of a float32 [inUnits, outUnits] weight so that no shard exceeds maxBytes; one when it fits. */
export function shardWidths(inUnits: number, outUnits: number, maxBytes?: number): number[] {
  if (maxBytes === undefined || 4 * inUnits * outUnits <= maxBytes) return [outUnits];
  const maxColumns = Math.floor(maxBytes / (4 * inUnits));
  if (maxColumns < 1)
    throw new Error(`a dense layer with ${inUnits} inputs needs ${4 * inUnits} bytes a column, over ${maxBytes}`);
  const n = Math.ceil(outUnits / maxColumns);
  // Even widths (4096 in 3: 1366, 1365, 1365) rather than full shards and a remainder.
  return Array.from({ length: n }, (_, i) => Math.floor(outUnits / n) + (i < outUnits % n ? 1 : 0));
}

/** "fc6.weight[0:2048]": columns [start, end) of fc6.weight. */
export function shardName(name: string, start: number, end: number): string {
  return `${name}[${start}:${end}]`;
}

const SHARD = /^(.+)\[(\d+):(\d+)\]$/;

export function parseShardName(name: string): { base: string; start: number; end: number } | undefined {
  const m = SHARD.exec(name);
  return m ? { base: m[1], start: Number(m[2]), end: Number(m[3]) } : undefined;
}

/** Splits a [rows, cols] (or [cols]) tensor's values into column blocks of these widths, on the CPU. */
export function splitColumns(t: tf.Tensor, widths: number[]): tf.Tensor[] {
  const cols = t.shape[t.rank - 1];
  const rows = t.rank === 2 ? t.shape[0] : 1;
  if (widths.reduce((a, b) => a + b, 0) !== cols) throw new Error(`splitColumns: widths [${widths}] for [${t.shape}]`);
  // dataSync reads a tensor that was never uploaded (a checkpoint's, a seeded initialisation) without the GPU.
  const values = t.dataSync() as Float32Array;
  let start = 0;
  return widths.map((w) => {
    const part = new Float32Array(rows * w);
    for (let r = 0; r < rows; r++) part.set(values.subarray(r * cols + start, r * cols + start + w), r * w);
    start += w;
    return tf.tensor(part, t.rank === 2 ? [rows, w] : [w], 'float32');
  });
}

/** The inverse of splitColumns: shards in column order, read back asynchronously (they live on the GPU). */
async function mergeColumns(shards: tf.Tensor[]): Promise<tf.Tensor> {
  const rows = shards[0].rank === 2 ? shards[0].shape[0] : 1;
  const widths = shards.map((s) => s.shape[s.rank - 1]);
  const cols = widths.reduce((a, b) => a + b, 0);
  const merged = new Float32Array(rows * cols);
  let start = 0;
  for (const [i, s] of shards.entries()) {
    const values = (await s.data()) as Float32Array;
    const w = widths[i];
    for (let r = 0; r < rows; r++) merged.set(values.subarray(r * w, (r + 1) * w), r * cols + start);
    start += w;
  }
  return tf.tensor(merged, shards[0].rank === 2 ? [rows, cols] : [cols], 'float32');
}

/** Shard names grouped by the name they are part of, each group in column order. */
function shardGroups(names: Iterable<string>): Map<string, { name: string; start: number; end: number }[]> {
  const groups = new Map<string, { name: string; start: number; end: number }[]>();
  for (const name of names) {
    const p = parseShardName(name);
    if (!p) continue;
    if (!groups.has(p.base)) groups.set(p.base, []);
    groups.get(p.base)!.push({ name, start: p.start, end: p.end });
  }
  for (const [base, parts] of groups) {
    parts.sort((a, b) => a.start - b.start);
    parts.forEach((p, i) => {
      if (p.start !== (i === 0 ? 0 : parts[i - 1].end)) throw new Error(`${base}: shards leave a gap at ${p.start}`);
    });
  }
  return groups;
}

/**
 * The same map with every group of shards replaced by one merged tensor under the plain name, in the order of
 * their first shard. `created` are the merged tensors, owned by the caller.
 */
export async function mergeShards(
  named: Map<string, tf.Tensor>,
): Promise<{ merged: Map<string, tf.Tensor>; created: tf.Tensor[] }> {
  const groups = shardGroups(named.keys());
  const merged = new Map<string, tf.Tensor>();
  const created: tf.Tensor[] = [];
  for (const [name, t] of named) {
    const p = parseShardName(name);
    if (!p) merged.set(name, t);
    else if (!merged.has(p.base)) {
      const whole = await mergeColumns(groups.get(p.base)!.map((s) => named.get(s.name)!));
      created.push(whole);
      merged.set(p.base, whole);
    }
  }
  return { merged, created };
}

/** Logical shapes of a map that may hold shards: a group of [rows, w_i] shards counts as one [rows, sum w_i]. */
export function mergedShapes(named: Map<string, { shape: number[] }>): Map<string, number[]> {
  const groups = shardGroups(named.keys());
  const shapes = new Map<string, number[]>();
  for (const [name, t] of named) {
    const p = parseShardName(name);
    if (!p) shapes.set(name, t.shape);
    else if (!shapes.has(p.base)) shapes.set(p.base, [...t.shape.slice(0, -1), groups.get(p.base)!.at(-1)!.end]);
  }
  return shapes;
}

/** The shard names of `base` among `names`, in column order (empty when it is not sharded). */
export function shardsOf(base: string, names: Iterable<string>): { name: string; start: number; end: number }[] {
  return shardGroups(names).get(base) ?? [];
}
