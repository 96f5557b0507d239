// The official code's `clusters` file (its Logger pickles a list with one entry per epoch: deepcluster's
// images_lists, k lists of image indices). Read by our restricted unpickler with no globals allowed: lists of
// ints are all it may hold.
import { readFile } from 'node:fs/promises';
import { unpickle, UnpickleError } from '../model/pytorch/unpickler';

export class OfficialRunError extends Error {
  override name = 'OfficialRunError';
}

/** One Int32Array of cluster indices per epoch, each over the same N images. */
export async function readClustersPickle(file: string): Promise<{ epochs: Int32Array[]; k: number[]; images: number }> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new OfficialRunError(
      `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (the official main.py writes it after each epoch)' : (e as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = unpickle(buf, 0, { resolveGlobal: () => undefined }).value;
  } catch (e) {
    const m =
      e instanceof UnpickleError
        ? e.message.replace(/not one that PyTorch checkpoints use/, 'a clusters file holds only lists of ints')
        : (e as Error).message;
    throw new OfficialRunError(`${file}: ${m}`);
  }
  const bad = (why: string): never => {
    throw new OfficialRunError(`${file}: not a DeepCluster clusters log (${why})`);
  };
  if (!Array.isArray(value) || value.length === 0) bad('expected a non-empty list of epochs');
  const epochs = value as unknown[];
  let images = -1;
  const out: Int32Array[] = [];
  const ks: number[] = [];
  epochs.forEach((lists, e) => {
    if (!Array.isArray(lists) || lists.length === 0) bad(`epoch ${e} is not a list of clusters`);
    const n = (lists as unknown[]).reduce<number>(
      (s, l) => s + (Array.isArray(l) ? l.length : bad(`epoch ${e} has a cluster that is not a list`)),
      0,
    );
    if (images >= 0 && n !== images) bad(`epoch ${e} assigns ${n} images, epoch 0 ${images}`);
    images = n;
    const a = new Int32Array(n).fill(-1);
    (lists as unknown[][]).forEach((members, c) => {
      for (const v of members) {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n)
          bad(`epoch ${e}, cluster ${c}: image index ${String(v)} out of 0..${n - 1}`);
        const i = v as number;
        if (a[i] !== -1) bad(`epoch ${e}: image ${i} is in two clusters`);
        a[i] = c;
      }
    });
    out.push(a);
    ks.push((lists as unknown[]).length);
  });
  return { epochs: out, k: ks, images };
}
