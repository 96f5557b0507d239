// Pseudo-labels: the cluster of each image, and images_lists (cluster -> its members) as DeepCluster keeps them.

/** images_lists: for each of the k clusters, its members' dataset indices in increasing order (may be empty). */
export function imagesLists(assignments: ArrayLike<number>, k: number): Int32Array[] {
  const counts = new Int32Array(k);
  for (let i = 0; i < assignments.length; i++) counts[assignments[i]]++;
  const lists = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(k);
  for (let i = 0; i < assignments.length; i++) {
    const c = assignments[i];
    lists[c][fill[c]++] = i;
  }
  return lists;
}

/** The inverse (official `arrange_clustering`): the cluster of each of the N images. */
export function assignmentsFromLists(lists: ArrayLike<number>[], n: number): Int32Array {
  const out = new Int32Array(n).fill(-1);
  lists.forEach((members, c) => {
    for (let m = 0; m < members.length; m++) out[members[m]] = c;
  });
  return out;
}
