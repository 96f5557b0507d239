// The user's curation of a run (<run>/curation.json, src/protocol/curation.ts): edits, applying the decisions to a
// checkpoint's assignments, carrying them to a newer checkpoint by largest overlap (as the grid's epoch slider
// follows clusters), and the sidecar's atomic read/write. Plain Node: the extension and the trainer's
// `export` command both use it. The trainer's own files are never touched.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { CURATION_VERSION, type ClusterDecision, type CurationFile } from '../protocol/curation';
import { runFile } from './layout';

export class CurationError extends Error {}

export function emptyCuration(epoch: number): CurationFile {
  return { version: CURATION_VERSION, epoch, clusters: {}, moves: {}, updated: new Date().toISOString() };
}

const touch = (c: CurationFile, clusters = c.clusters, moves = c.moves): CurationFile => ({
  ...c,
  clusters,
  moves,
  updated: new Date().toISOString(),
});

function withDecision(c: CurationFile, cluster: number, patch: ClusterDecision): CurationFile {
  const next = { ...(c.clusters[cluster] ?? {}), ...patch };
  for (const key of Object.keys(next) as (keyof ClusterDecision)[])
    if (next[key] === undefined || next[key] === '' || next[key] === false) delete next[key];
  const clusters = { ...c.clusters };
  if (Object.keys(next).length) clusters[cluster] = next;
  else delete clusters[cluster];
  return touch(c, clusters);
}

/** The cluster a merge chain ends at (a cycle, which edits never make, ends where it closes). */
export function rootOf(c: CurationFile, cluster: number): number {
  const seen = new Set<number>();
  let at = cluster;
  while (c.clusters[at]?.mergedInto !== undefined && !seen.has(at)) {
    seen.add(at);
    at = c.clusters[at]!.mergedInto!;
  }
  return at;
}

export function renameCluster(c: CurationFile, cluster: number, name: string): CurationFile {
  const clean = name.trim();
  // '/' is allowed ("T-shirt/top"): export folder names replace it (curatedExport.ts folderName).
  if (clean.length > 200 || /[\u0000-\u001f]/.test(clean))
    throw new CurationError(
      `a cluster name must be at most 200 characters, without control characters: ${JSON.stringify(name)}`,
    );
  return withDecision(c, rootOf(c, cluster), { name: clean || undefined });
}

export function markJunk(c: CurationFile, cluster: number, junk: boolean): CurationFile {
  return withDecision(c, rootOf(c, cluster), { junk });
}

/** Merges `clusters` into `into`: their images take its name and junk mark. */
export function mergeClusters(c: CurationFile, clusters: number[], into: number): CurationFile {
  const target = rootOf(c, into);
  let out = c;
  for (const cl of clusters) {
    const r = rootOf(out, cl);
    if (r !== target) out = withDecision(out, r, { mergedInto: target });
  }
  return out;
}

export function moveImage(c: CurationFile, index: number, cluster: number): CurationFile {
  return touch(c, c.clusters, { ...c.moves, [index]: cluster });
}

export interface CuratedImage {
  /** The cluster (after moves and merges) whose decisions apply. */
  group: number;
  name: string;
  junk: boolean;
}

/** Default label of an unnamed cluster. */
export const defaultName = (group: number) => `cluster-${group}`;

/** Every image's curated cluster, name and junk mark, for the assignments of checkpoint `c.epoch`. */
export function applyCuration(c: CurationFile, assignments: ArrayLike<number>): CuratedImage[] {
  const out: CuratedImage[] = [];
  for (let i = 0; i < assignments.length; i++) {
    const group = rootOf(c, c.moves[i] ?? assignments[i]!);
    const d = c.clusters[group];
    out.push({ group, name: d?.name ?? defaultName(group), junk: !!d?.junk });
  }
  return out;
}

/** For each cluster of `from`, the cluster of `to` sharing the most images (-1 when it has none). */
export function largestOverlap(from: ArrayLike<number>, to: ArrayLike<number>): Map<number, number> {
  const counts = new Map<number, Map<number, number>>();
  for (let i = 0; i < Math.min(from.length, to.length); i++) {
    const row = counts.get(from[i]!) ?? new Map<number, number>();
    row.set(to[i]!, (row.get(to[i]!) ?? 0) + 1);
    counts.set(from[i]!, row);
  }
  const best = new Map<number, number>();
  for (const [a, row] of counts) {
    let arg = -1;
    let n = -1;
    for (const [b, m] of row) if (m > n || (m === n && b < arg)) [arg, n] = [b, m];
    best.set(a, arg);
  }
  return best;
}

/**
 * The decisions restated for checkpoint `epoch` (a resume or a newer checkpoint re-clusters from scratch, so ids
 * change): each decided cluster's decision goes to the new cluster it overlaps most; when several land on one,
 * the largest overlap wins the name. Moves keep their images and follow their target cluster.
 */
export function rebaseCuration(
  c: CurationFile,
  fromAssignments: ArrayLike<number>,
  toAssignments: ArrayLike<number>,
  epoch: number,
): CurationFile {
  if (epoch === c.epoch) return c;
  const map = largestOverlap(fromAssignments, toAssignments);
  const overlap = new Map<number, number>();
  for (let i = 0; i < Math.min(fromAssignments.length, toAssignments.length); i++) {
    if (map.get(fromAssignments[i]!) === toAssignments[i])
      overlap.set(fromAssignments[i]!, (overlap.get(fromAssignments[i]!) ?? 0) + 1);
  }
  const decided = Object.keys(c.clusters)
    .map(Number)
    .sort((a, b) => (overlap.get(b) ?? 0) - (overlap.get(a) ?? 0));
  const clusters: Record<string, ClusterDecision> = {};
  for (const old of decided) {
    const to = map.get(old);
    if (to === undefined || to < 0) continue;
    const d = c.clusters[old]!;
    const mergedInto = d.mergedInto !== undefined ? map.get(d.mergedInto) : undefined;
    const next: ClusterDecision = { ...(clusters[to] ?? {}) };
    if (next.name === undefined && d.name !== undefined) next.name = d.name;
    if (next.junk === undefined && d.junk) next.junk = true;
    if (next.mergedInto === undefined && mergedInto !== undefined && mergedInto >= 0 && mergedInto !== to)
      next.mergedInto = mergedInto;
    clusters[to] = next;
  }
  const moves: Record<string, number> = {};
  for (const [i, target] of Object.entries(c.moves)) {
    const to = map.get(target);
    if (to !== undefined && to >= 0) moves[i] = to;
  }
  return { version: CURATION_VERSION, epoch, clusters, moves, updated: new Date().toISOString() };
}

export function curationPath(runDir: string): string {
  return runFile(runDir, 'curation');
}

/** The run's curation, or undefined when the user made none. Throws CurationError naming the file when bad. */
export function readCuration(runDir: string): CurationFile | undefined {
  const file = curationPath(runDir);
  if (!existsSync(file)) return undefined;
  let j: Partial<CurationFile>;
  try {
    j = JSON.parse(readFileSync(file, 'utf8')) as Partial<CurationFile>;
  } catch (e) {
    throw new CurationError(`${file} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const bad = (what: string) => new CurationError(`${file}: ${what}`);
  if (j?.version !== CURATION_VERSION)
    throw bad(`curation format ${String(j?.version)} is not one this version reads (${CURATION_VERSION})`);
  if (!Number.isInteger(j.epoch) || j.epoch! < 0) throw bad('epoch must be a checkpoint epoch');
  if (typeof j.clusters !== 'object' || j.clusters === null || typeof j.moves !== 'object' || j.moves === null)
    throw bad('clusters and moves must be objects');
  for (const [k, d] of Object.entries(j.clusters)) {
    if (!/^\d+$/.test(k) || typeof d !== 'object' || d === null)
      throw bad(`cluster entry '${k}' is not a cluster id with a decision`);
    if (d.name !== undefined && typeof d.name !== 'string') throw bad(`cluster ${k}: name must be a string`);
    if (d.mergedInto !== undefined && !Number.isInteger(d.mergedInto))
      throw bad(`cluster ${k}: mergedInto must be a cluster id`);
  }
  for (const [k, v] of Object.entries(j.moves))
    if (!/^\d+$/.test(k) || !Number.isInteger(v)) throw bad(`move '${k}' must map an image index to a cluster id`);
  return j as CurationFile;
}

/** Writes the curation atomically (temp file + rename), so a reader never sees half of it. */
export function writeCuration(runDir: string, c: CurationFile): void {
  const file = curationPath(runDir);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(c, null, 1) + '\n');
  renameSync(tmp, file);
}
