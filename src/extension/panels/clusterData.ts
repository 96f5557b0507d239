// What the cluster grid shows, computed from a checkpoint (checkpointData.ts). Plain Node, no vscode.
//   cards:   size, label histogram, purity, the exemplars nearest the centroid (and by top-layer activation);
//   members: every member of one cluster, nearest the centroid first, paged;
//   follow:  one cluster across checkpoints, each step matched to the cluster it overlaps most.
import type { ClusterCard, ClusterTrack, GridEpoch, MemberPage } from '../../protocol/webview';
import type { CheckpointView } from '../checkpointData';
import { readLabelHistograms } from './runPaths';

/** Thumbnails per card (the card grid shows 2 rows of 4). */
export const CARD_THUMBS = 8;

export function topLabelOf(hist: number[] | undefined): number | undefined {
  if (!hist) return undefined;
  let arg = -1;
  let best = 0;
  hist.forEach((n, i) => {
    if (n > best) [best, arg] = [n, i];
  });
  return arg >= 0 ? arg : undefined;
}

export function clusterCards(view: CheckpointView, histCounts?: number[][], activation?: number[][]): ClusterCard[] {
  return view.clusters.map((c) => {
    const hist = histCounts?.[c.index];
    const top = topLabelOf(hist);
    const card: ClusterCard = {
      id: c.index,
      size: c.size,
      nearest: c.members.slice(0, CARD_THUMBS).map((m) => m.index),
    };
    if (hist) {
      card.hist = hist;
      card.topLabel = top;
      card.purity = top !== undefined && c.size > 0 ? hist[top]! / c.size : undefined;
    }
    const act = activation?.[c.index];
    if (act) card.activation = act.slice(0, CARD_THUMBS);
    return card;
  });
}

export function gridEpoch(view: CheckpointView, activation?: number[][]): GridEpoch {
  const hist = readLabelHistograms(view.dir)?.counts;
  return { epoch: view.manifest.epoch, k: view.manifest.k, clusters: clusterCards(view, hist, activation) };
}

/** Members of `cluster` in display order: exemplars (with distances) first, then the rest in dataset order. */
export function orderedMembers(view: CheckpointView, cluster: number): { index: number; distance?: number }[] {
  const c = view.clusters[cluster];
  if (!c) return [];
  const { assignments, distances } = view;
  if (assignments && distances && distances.length === assignments.length) {
    const all: { index: number; distance: number }[] = [];
    assignments.forEach((a, i) => {
      if (a === cluster) all.push({ index: i, distance: distances[i] });
    });
    return all.sort((x, y) => x.distance - y.distance || x.index - y.index);
  }
  const withDistance = c.members.filter((m) => m.distance !== undefined);
  const seen = new Set(withDistance.map((m) => m.index));
  const rest: { index: number }[] = [];
  if (view.assignments)
    view.assignments.forEach((a, i) => {
      if (a === cluster && !seen.has(i)) rest.push({ index: i });
    });
  else for (const m of c.members) if (!seen.has(m.index)) rest.push({ index: m.index });
  return [...withDistance, ...rest];
}

export function memberPage(
  view: CheckpointView,
  cluster: number,
  offset: number,
  limit: number,
  labels?: ArrayLike<number>,
): MemberPage {
  const all = orderedMembers(view, cluster);
  const members = all.slice(offset, offset + limit).map((m) => (labels ? { ...m, label: labels[m.index] } : m));
  return { cluster, total: all.length, offset, members };
}

/** Members of every cluster under one assignment vector, as index lists. */
function membersByCluster(assignments: Int32Array, k: number): number[][] {
  const out: number[][] = Array.from({ length: k }, () => []);
  assignments.forEach((c, i) => {
    if (c >= 0 && c < k) out[c]!.push(i);
  });
  return out;
}

/** The cluster of `next` that shares the most images with `members`, and that overlap as a Jaccard index. */
export function bestOverlap(
  members: number[],
  next: Int32Array,
  nextK: number,
): { cluster: number; size: number; jaccard: number } {
  const inter = new Map<number, number>();
  for (const i of members) {
    const c = next[i];
    if (c !== undefined && c >= 0 && c < nextK) inter.set(c, (inter.get(c) ?? 0) + 1);
  }
  const sizes = new Array<number>(nextK).fill(0);
  for (const c of next) if (c >= 0 && c < nextK) sizes[c]!++;
  let best = -1;
  let bestN = -1;
  for (const [c, n] of inter) if (n > bestN || (n === bestN && c < best)) [best, bestN] = [c, n];
  if (best < 0) return { cluster: -1, size: 0, jaccard: 0 };
  const union = members.length + sizes[best]! - bestN;
  return { cluster: best, size: sizes[best]!, jaccard: union > 0 ? bestN / union : 0 };
}

/**
 * Follows `cluster` of checkpoint `epoch` to every other checkpoint, one neighbour at a time in both directions
 * (cluster ids are arbitrary at each epoch: DeepCluster re-clusters from scratch, so only overlap links them).
 */
export function followCluster(
  epochs: number[],
  load: (epoch: number) => { assignments: Int32Array; k: number } | undefined,
  epoch: number,
  cluster: number,
): ClusterTrack {
  const at = epochs.indexOf(epoch);
  const start = load(epoch);
  if (at < 0 || !start) return { steps: [] };
  const startMembers = membersByCluster(start.assignments, start.k)[cluster] ?? [];
  const steps: ClusterTrack['steps'] = [{ epoch, cluster, size: startMembers.length, jaccard: 1 }];
  for (const dir of [1, -1]) {
    let members = startMembers;
    for (let j = at + dir; j >= 0 && j < epochs.length; j += dir) {
      const ck = load(epochs[j]!);
      if (!ck || members.length === 0) break;
      const m = bestOverlap(members, ck.assignments, ck.k);
      if (m.cluster < 0) break;
      steps.push({ epoch: epochs[j]!, cluster: m.cluster, size: m.size, jaccard: m.jaccard });
      members = membersByCluster(ck.assignments, ck.k)[m.cluster]!;
    }
  }
  return { steps: steps.sort((a, b) => a.epoch - b.epoch) };
}

/** Export rows: one per member image of the chosen clusters, with its file path (or dataset#index). */
export function exportRows(
  view: CheckpointView,
  clusters: number[],
  pathOf: (index: number) => string,
): { cluster: number; index: number; path: string; distance?: number }[] {
  const rows: { cluster: number; index: number; path: string; distance?: number }[] = [];
  for (const c of clusters)
    for (const m of orderedMembers(view, c))
      rows.push({
        cluster: c,
        index: m.index,
        path: pathOf(m.index),
        ...(m.distance !== undefined ? { distance: m.distance } : {}),
      });
  return rows;
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function rowsToCsv(rows: ReturnType<typeof exportRows>): string {
  return (
    [
      'cluster,index,path,distance',
      ...rows.map((r) => `${r.cluster},${r.index},${csvField(r.path)},${r.distance ?? ''}`),
    ].join('\n') + '\n'
  );
}

export function rowsToJson(epoch: number, rows: ReturnType<typeof exportRows>): string {
  const clusters = new Map<number, { index: number; path: string; distance?: number }[]>();
  for (const r of rows) {
    const list = clusters.get(r.cluster) ?? [];
    list.push({ index: r.index, path: r.path, ...(r.distance !== undefined ? { distance: r.distance } : {}) });
    clusters.set(r.cluster, list);
  }
  return (
    JSON.stringify(
      { epoch, clusters: [...clusters].map(([cluster, members]) => ({ cluster, size: members.length, members })) },
      null,
      1,
    ) + '\n'
  );
}
