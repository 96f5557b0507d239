// A tolerant view of one checkpoint for the tree, the inspector and the export. The trainer owns the format
// (checkpoint.json plus the files it lists); this reads the fields it finds and leaves the rest undefined, so the
// extension keeps working while the format grows. Plain Node, no vscode.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EngineInfo, EpochMetrics, TrainConfig } from '../protocol';
import { readJson } from './runFiles';

export interface MemberRef {
  /** Index of the image in the dataset order the trainer used. */
  index: number;
  path?: string;
  label?: string;
  distance?: number;
}

export interface ClusterView {
  index: number;
  size: number;
  /** Members known to this checkpoint (all, or the exemplars nearest the centroid first). */
  members: MemberRef[];
  topLabel?: string;
  /** Share of the cluster carrying its top label, 0..1. */
  purity?: number;
}

export interface LayerView {
  name: string;
  type?: string;
  outputShape?: (number | null)[];
  params?: number;
}

export interface CheckpointView {
  path: string;
  epoch: number;
  config?: Partial<TrainConfig>;
  engine?: EngineInfo;
  metrics?: EpochMetrics;
  layers: LayerView[];
  totalParams?: number;
  clusters: ClusterView[];
  /** Per image: its cluster (the pseudo-label), when the checkpoint carries assignments. */
  assignments?: number[];
  images?: string[];
  labels?: (string | undefined)[];
  raw: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const arr = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** Reads a field that is either inline in checkpoint.json or a file name (relative to the checkpoint) holding it. */
function inlineOrFile(dir: string, v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const p = join(dir, v);
  if (!existsSync(p)) return undefined;
  if (p.endsWith('.json')) return readJson(p);
  return readFileSync(p, 'utf8').split(/\r?\n/).filter((l) => l.length);
}

/** Top label and purity from a label histogram {label: count}. */
export function labelStats(hist: Record<string, number> | undefined, size: number): { topLabel?: string; purity?: number } {
  if (!hist || size <= 0) return {};
  let top: string | undefined;
  let best = -1;
  for (const [label, n] of Object.entries(hist)) if (n > best) [top, best] = [label, n];
  return top === undefined ? {} : { topLabel: top, purity: best / size };
}

function member(m: unknown, images?: string[], labels?: (string | undefined)[]): MemberRef | undefined {
  if (typeof m === 'number') return { index: m, path: images?.[m], label: labels?.[m] };
  if (typeof m === 'string') return { index: -1, path: m };
  const o = obj(m);
  if (!o) return undefined;
  const index = num(o.index) ?? -1;
  return {
    index,
    path: typeof o.path === 'string' ? o.path : images?.[index],
    label: typeof o.label === 'string' ? o.label : labels?.[index],
    distance: num(o.distance),
  };
}

/** Clusters from explicit per-cluster records, else grouped from the assignments. */
export function clustersOf(c: Json, dir: string, images?: string[], labels?: (string | undefined)[], assignments?: number[]): ClusterView[] {
  const records = arr(inlineOrFile(dir, c.clusters));
  if (records) {
    return records.map((r, i) => {
      const o = obj(r) ?? {};
      const members = (arr(o.members) ?? arr(o.exemplars) ?? []).map((m) => member(m, images, labels)).filter((m): m is MemberRef => !!m);
      const size = num(o.size) ?? members.length;
      const hist = obj(o.labelHistogram) ?? obj(o.labels);
      return { index: num(o.index) ?? i, size, members, ...labelStats(hist as Record<string, number> | undefined, size) };
    });
  }
  if (!assignments) return [];
  const k = num(obj(c.config)?.k) ?? Math.max(-1, ...assignments) + 1;
  const groups: MemberRef[][] = Array.from({ length: k }, () => []);
  assignments.forEach((a, i) => groups[a]?.push({ index: i, path: images?.[i], label: labels?.[i] }));
  return groups.map((members, index) => {
    const hist: Record<string, number> = {};
    for (const m of members) if (m.label !== undefined) hist[m.label] = (hist[m.label] ?? 0) + 1;
    return { index, size: members.length, members, ...labelStats(labels ? hist : undefined, members.length) };
  });
}

function layersOf(c: Json): { layers: LayerView[]; totalParams?: number } {
  const a = obj(c.architecture) ?? obj(c.model);
  const list = arr(a?.layers) ?? arr(c.layers) ?? [];
  const layers = list.map((l, i) => {
    const o = obj(l) ?? {};
    const shape = arr(o.outputShape);
    return {
      name: typeof o.name === 'string' ? o.name : `layer ${i}`,
      type: typeof o.type === 'string' ? o.type : typeof o.className === 'string' ? o.className : undefined,
      outputShape: shape?.map((d) => (typeof d === 'number' ? d : null)),
      params: num(o.params),
    };
  });
  const total = num(a?.totalParams) ?? num(c.totalParams) ?? (layers.some((l) => l.params !== undefined) ? layers.reduce((s, l) => s + (l.params ?? 0), 0) : undefined);
  return { layers, totalParams: total };
}

export function readCheckpoint(manifestPath: string): CheckpointView | undefined {
  const c = readJson<Json>(manifestPath);
  if (!c) return undefined;
  const dir = dirname(manifestPath);
  const images = arr(inlineOrFile(dir, c.images))?.map(String);
  const labels = arr(inlineOrFile(dir, c.labels))?.map((l) => (l === null || l === undefined ? undefined : String(l)));
  const assignments = arr(inlineOrFile(dir, c.assignments))?.map(Number);
  const m = /epoch-(\d+)/.exec(dir);
  return {
    path: manifestPath,
    epoch: num(c.epoch) ?? (m ? Number(m[1]) : 0),
    config: obj(c.config) as Partial<TrainConfig> | undefined,
    engine: obj(c.engine) as EngineInfo | undefined,
    metrics: obj(c.metrics) as EpochMetrics | undefined,
    ...layersOf(c),
    clusters: clustersOf(c, dir, images, labels, assignments),
    assignments,
    images,
    labels,
    raw: c,
  };
}
