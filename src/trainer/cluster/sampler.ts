// Which images one epoch of training sees, and with which pseudo-label (deepcluster.md 1.6, `UnifLabelSampler`).
import { randomInt, shuffle, type Random } from './rng';

/** What the training phase iterates over: dataset indices and the pseudo-label to predict for each. */
export interface Sample {
  indices: Int32Array;
  labels: Int32Array;
}

/**
 * Uniform over clusters, as the paper intends: with m non-empty clusters, draw spp = floor(N/m) + 1 members of
 * each (with replacement iff the cluster has <= spp members), shuffle, keep the first N. Labels are cluster ids.
 */
export function uniformSampler(lists: ArrayLike<number>[], n: number, random: Random): Sample {
  const drawn = drawPerCluster(lists, n, random);
  let size = 0;
  for (const members of lists) for (let m = 0; m < members.length; m++) size = Math.max(size, members[m] + 1);
  const labelOfImage = new Int32Array(size);
  lists.forEach((members, c) => {
    for (let m = 0; m < members.length; m++) labelOfImage[members[m]] = c;
  });
  return { indices: drawn, labels: Int32Array.from(drawn, (i) => labelOfImage[i]) };
}

/**
 * The official code's behaviour, bug included. UnifLabelSampler draws DATASET indices (members of
 * images_lists), but ReassignedDataset.__getitem__(i) reads i as a POSITION in its cluster-sorted list, whose
 * position i holds image imageIndexes[i] with that position's label. So the pair (image, label) stays
 * consistent, but the images actually loaded are not uniform over clusters: each cluster is hit roughly in
 * proportion to its size, and the image at the position of a small cluster's member repeats spp times.
 * Labels are compacted to 0..m-1 over the non-empty clusters (the official `label_to_idx`).
 * Returns, for each draw, the dataset index of the image that is loaded and its label.
 */
export function officialSampler(lists: ArrayLike<number>[], n: number, random: Random): Sample {
  const drawn = drawPerCluster(lists, n, random);
  // ReassignedDataset: clusters concatenated in order; position j -> (imageIndexes[j], compacted label).
  const total = lists.reduce((s, l) => s + l.length, 0);
  const imageIndexes = new Int32Array(total);
  const positionLabel = new Int32Array(total);
  let j = 0;
  let label = 0;
  for (const members of lists) {
    if (members.length === 0) continue;
    for (let m = 0; m < members.length; m++, j++) {
      imageIndexes[j] = members[m];
      positionLabel[j] = label;
    }
    label++;
  }
  return {
    indices: Int32Array.from(drawn, (pos) => imageIndexes[pos]),
    labels: Int32Array.from(drawn, (pos) => positionLabel[pos]),
  };
}

/** UnifLabelSampler.generate_indexes_epoch: the dataset indices drawn (shared by both samplers). */
export function drawPerCluster(lists: ArrayLike<number>[], n: number, random: Random): Int32Array {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) throw new Error('sampler: every cluster is empty');
  const spp = Math.floor(n / nonEmpty.length) + 1;
  const res = new Int32Array(spp * nonEmpty.length);
  let o = 0;
  for (const members of nonEmpty) {
    if (members.length <= spp) {
      for (let s = 0; s < spp; s++) res[o++] = members[randomInt(random, members.length)];
    } else {
      // Without replacement: the first spp entries of a partial Fisher-Yates shuffle.
      const pool = Int32Array.from(members);
      for (let s = 0; s < spp; s++) {
        const r = s + randomInt(random, pool.length - s);
        const t = pool[s];
        pool[s] = pool[r];
        pool[r] = t;
        res[o++] = pool[s];
      }
    }
  }
  shuffle(res, random);
  if (res.length >= n) return res.slice(0, n);
  // Cannot happen (m * spp > N), kept as the official code has it: pad by repeating the beginning.
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = res[i % res.length];
  return out;
}
