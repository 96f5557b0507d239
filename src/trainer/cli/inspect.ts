// `deepcluster inspect CHECKPOINT|RUN`: what a run or a checkpoint holds, from disk only (no backend, no
// tensors), as a human summary or as JSON.
import { clusterSizeSummary, type ClusterSizeSummary } from '../metrics/clusterSizes';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { EpochMetrics, TrainerEvent } from '../../protocol/events';
import type {
  CheckpointManifest,
  CheckpointRole,
  CheckpointTopology,
  EffectiveRunStatus,
  RunManifest,
} from '../../protocol/run';
import {
  listCheckpointFolders,
  openCheckpoint,
  readLatestName,
  sumBytes,
  verifyCheckpoint,
} from '../../runfolder/checkpoints';
import { epochMetrics, readEvents } from '../../runfolder/events';
import { RUN_FILES, checkpointEpoch, checkpointFile } from '../../runfolder/layout';
import type { PidInfo, TrainerLiveness } from '../../runfolder/liveness';
import { isRunDir, readRunManifest } from '../../runfolder/manifest';
import { readRun } from '../../runfolder/runs';
import { readSkipped } from '../../runfolder/skipped';
import { UsageError } from '../usageError';
import { formatQualityReport } from '../eval/formatQuality';
import { formatPytorchReport, inspectPytorch, isPytorchCheckpointPath, type PytorchReport } from './inspectPytorch';

export interface CheckpointReport {
  kind: 'checkpoint';
  path: string;
  complete: boolean;
  /** Why it is not complete. */
  problem?: string;
  manifest?: CheckpointManifest;
  topology?: CheckpointTopology;
  totalBytes: number;
  weights?: { tensors: number; params: number; list: { name: string; shape: number[]; dtype: string }[] };
  optimizer?: { tensors: number; config: Record<string, unknown> };
  clusterSizes?: ClusterSizeSummary;
  metrics?: EpochMetrics;
}

export interface RunReport {
  kind: 'run';
  path: string;
  manifest: RunManifest;
  status: EffectiveRunStatus;
  liveness: TrainerLiveness;
  pid?: PidInfo;
  events: { count: number; torn: boolean; badLines: number[]; warnings: number; lastError?: string };
  /** One row per epoch from events.jsonl (a resumed run's repeated epoch: the later record wins). */
  epochs: EpochMetrics[];
  evaluation?: Extract<TrainerEvent, { type: 'evaluation' }>;
  skipped: number;
  checkpoints: { name: string; epoch: number; complete: boolean; problem?: string; bytes: number }[];
  /** What `latest` names, and whether resume would fall back to another folder. */
  latest?: string;
  resumeFrom?: string;
  latestCheckpoint?: CheckpointReport;
}

export type InspectReport = RunReport | CheckpointReport | PytorchReport;

/** Print-ready text: the human summary, or the report as JSON when `json`. */
export async function inspect(target: string, options: { json?: boolean } = {}): Promise<string> {
  const report = await inspectPath(target);
  return options.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report);
}

/** Build the report for a run folder or a checkpoint folder. Throws a UsageError for anything else. */
export async function inspectPath(target: string): Promise<InspectReport> {
  const dir = path.resolve(target);
  if (isPytorchCheckpointPath(dir)) return inspectPytorch(dir);
  if (isRunDir(dir)) return inspectRun(dir);
  if (existsSync(checkpointFile(dir, 'manifest'))) return inspectCheckpoint(dir);
  if (!existsSync(dir)) throw new UsageError(`${target} does not exist`);
  // A checkpoint folder whose checkpoint.json never got written is still worth a report.
  if (checkpointEpoch(path.basename(dir)) !== undefined) return inspectCheckpoint(dir);
  throw new UsageError(
    `${target} is neither a run folder (no ${RUN_FILES.manifest}) nor a checkpoint (no ${RUN_FILES.checkpointManifest})`,
  );
}

export async function inspectRun(dir: string): Promise<RunReport> {
  const manifest = readRunManifest(dir);
  const run = readRun(dir);
  const latest = run.checkpoints.at(-1);
  const log = readEvents(dir);
  let warnings = 0;
  let lastError: string | undefined;
  let evaluation: RunReport['evaluation'];
  for (const e of log.events) {
    if (e.type === 'warning') warnings++;
    else if (e.type === 'error') lastError = e.message;
    else if (e.type === 'evaluation') evaluation = e;
  }
  const checkpoints: RunReport['checkpoints'] = [];
  for (const c of listCheckpointFolders(dir).reverse()) {
    const check = verifyCheckpoint(c.dir);
    checkpoints.push({
      name: c.name,
      epoch: c.epoch,
      complete: check.complete,
      problem: check.complete ? undefined : check.reason,
      bytes: check.complete ? sumBytes(check.manifest) : await folderBytes(c.dir),
    });
  }
  return {
    kind: 'run',
    path: dir,
    manifest,
    status: run.state === 'unknown' ? 'interrupted' : run.state,
    liveness: run.liveness,
    pid: run.pidInfo,
    events: { count: log.events.length, torn: log.torn, badLines: log.badLines, warnings, lastError },
    epochs: epochMetrics(log.events),
    evaluation,
    skipped: readSkipped(dir).length,
    checkpoints,
    latest: readLatestName(dir),
    resumeFrom: latest?.name,
    latestCheckpoint: latest ? await inspectCheckpoint(latest.dir) : undefined,
  };
}

export async function inspectCheckpoint(dir: string): Promise<CheckpointReport> {
  const check = verifyCheckpoint(dir);
  if (!check.complete) {
    return {
      kind: 'checkpoint',
      path: dir,
      complete: false,
      problem: check.reason,
      totalBytes: await folderBytes(dir),
    };
  }
  const ck = openCheckpoint(dir);
  const manifest = ck.manifest;
  const readJsonFile = async <T>(role: CheckpointRole): Promise<T | undefined> => ck.json<T>(role);
  type WeightsJson = {
    modelTopology?: CheckpointTopology;
    config?: Record<string, unknown>;
    weightsManifest: { weights: { name: string; shape: number[]; dtype: string }[] }[];
  };
  const model = await readJsonFile<WeightsJson>('model');
  const list = (model?.weightsManifest ?? []).flatMap((g) =>
    g.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype })),
  );
  const optimizer = await readJsonFile<WeightsJson>('optimizer');
  const assignments = ck.array('assignments');
  return {
    kind: 'checkpoint',
    path: dir,
    complete: true,
    manifest,
    topology: model?.modelTopology,
    totalBytes: sumBytes(manifest),
    weights: { tensors: list.length, params: list.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0), list },
    optimizer: optimizer
      ? { tensors: optimizer.weightsManifest.reduce((s, g) => s + g.weights.length, 0), config: optimizer.config ?? {} }
      : undefined,
    clusterSizes: assignments ? clusterSizeSummary(assignments.data, manifest.k) : undefined,
    metrics: await readJsonFile<EpochMetrics>('metrics'),
  };
}

// ---- human summary ----------------------------------------------------------------------------------------

export function formatReport(report: InspectReport): string {
  if (report.kind === 'pytorch') return formatPytorchReport(report);
  return (report.kind === 'run' ? formatRun(report) : formatCheckpoint(report, '')).join('\n') + '\n';
}

function formatRun(r: RunReport): string[] {
  const m = r.manifest;
  const c = m.config;
  const d = m.dataset;
  const out: string[] = [];
  out.push(`Run ${m.id}  ${r.path}`);
  const who = r.pid ? ` (pid ${r.pid.pid}, ${r.liveness})` : '';
  out.push(`  status     ${r.status}${who}${m.message ? `: ${m.message}` : ''}`);
  out.push(`  epochs     ${m.epochsDone} of ${c.epochs} done; created ${m.created}, updated ${m.updated}`);
  const v2 = c.recipe === 'v2' && c.v2;
  out.push(
    v2
      ? `  config     recipe v2: ${c.arch} ${c.inputSize}px, ${v2.heads} x ${c.k} prototypes (temperature ${v2.temperature}), ` +
          `2 + ${v2.smallCrops} crops, batch ${c.batchSize}, lr ${c.lr} (warm-up ${v2.warmupEpochs} epochs, cosine), seed ${c.seed}`
      : `  config     recipe paper: ${c.arch} ${c.inputSize}px, sobel ${c.sobel ? 'on' : 'off'}, ${c.clustering} k=${c.k} pca=${c.pca}, ` +
          `sampler ${c.sampler}, batch ${c.batchSize}${c.microBatch ? ` (micro ${c.microBatch})` : ''}, lr ${c.lr}, seed ${c.seed}`,
  );
  out.push(
    `  dataset    ${d.kind} ${d.path}: ${d.images} images, ${d.channels} channel(s), ` +
      `${d.labelled ? `labelled${d.classNames ? ` (${d.classNames.length} classes)` : ''}` : 'unlabelled'}, ` +
      `${d.skipped} skipped, fingerprint ${d.fingerprint.slice(0, 12)}`,
  );
  const e = m.engine;
  out.push(
    `  engine     ${e ? `${e.backend} via ${e.provider} on ${e.device}${e.software ? ' (software)' : ''}` : `requested ${c.backend}, not started`}`,
  );
  const ev = r.events;
  out.push(
    `  events     ${ev.count}${ev.torn ? ', torn last line skipped' : ''}${ev.badLines.length ? `, ${ev.badLines.length} bad line(s)` : ''}` +
      `, ${ev.warnings} warning(s)${r.skipped ? `, ${r.skipped} file(s) skipped (${RUN_FILES.skipped})` : ''}`,
  );
  if (ev.lastError) out.push(`  error      ${ev.lastError}`);
  if (r.epochs.length) {
    out.push('', 'Per epoch');
    out.push(...metricsTable(r.epochs).map((l) => '  ' + l));
  }
  if (r.evaluation?.quality) {
    out.push('', ...formatQualityReport(r.evaluation.quality));
  } else if (r.evaluation?.knnAccuracy !== undefined) {
    out.push(
      '',
      `kNN (k=${r.evaluation.k ?? 20}, cosine) accuracy on ${r.evaluation.heldOut ?? '?'} held-out images: ${fmt(r.evaluation.knnAccuracy, 3)}`,
    );
  }
  out.push('', 'Checkpoints');
  if (!r.checkpoints.length) out.push('  none');
  for (const ck of r.checkpoints) {
    const mark = ck.name === r.resumeFrom ? '  <- resume from here' : '';
    out.push(
      `  ${ck.name}  ${size(ck.bytes).padStart(9)}  ${ck.complete ? 'complete' : `INCOMPLETE: ${ck.problem}`}${mark}`,
    );
  }
  if (r.latest && r.latest !== r.resumeFrom)
    out.push(`  (latest names ${r.latest}, which is not the newest complete checkpoint)`);
  if (r.latestCheckpoint) {
    out.push('', `Newest complete checkpoint`);
    out.push(...formatCheckpoint(r.latestCheckpoint, '  ', false));
  }
  return out;
}

function formatCheckpoint(r: CheckpointReport, indent: string, listWeights = true): string[] {
  const out: string[] = [];
  out.push(`${indent}Checkpoint ${r.path}`);
  if (!r.complete) {
    out.push(`${indent}  INCOMPLETE: ${r.problem} (${size(r.totalBytes)} on disk); resume will not use it`);
    return out;
  }
  const m = r.manifest!;
  const opts = r.topology?.options ?? {};
  const inputSize = typeof opts.inputSize === 'number' ? ` ${opts.inputSize}px` : '';
  out.push(`${indent}  epoch      ${m.epoch} (written ${m.created})`);
  out.push(
    `${indent}  model      ${m.arch}${inputSize}, ${r.weights!.tensors} tensors, ${r.weights!.params.toLocaleString('en-US')} parameters`,
  );
  if (r.optimizer)
    out.push(`${indent}  optimizer  ${r.optimizer.tensors} state tensors ${JSON.stringify(r.optimizer.config)}`);
  const s = r.clusterSizes;
  if (s) {
    out.push(
      `${indent}  clusters   k=${s.k} over ${s.images} images: ${s.empty} empty, smallest ${s.smallest}, median ${s.median}, largest ${s.largest}`,
    );
  }
  if (r.metrics) out.push(`${indent}  metrics    ${metricsLine(r.metrics)}`);
  out.push(`${indent}  files      ${size(r.totalBytes)} in all`);
  for (const f of m.files) {
    const shape = f.shape ? `  ${f.dtype} [${f.shape.join(', ')}]` : '';
    out.push(`${indent}    ${f.file.padEnd(22)} ${size(f.bytes).padStart(9)}${shape}`);
  }
  if (listWeights && r.weights!.list.length) {
    out.push(`${indent}  weights`);
    for (const w of r.weights!.list)
      out.push(
        `${indent}    ${w.name.padEnd(28)} [${w.shape.join(', ')}]${w.dtype === 'float32' ? '' : ' ' + w.dtype}`,
      );
  }
  return out;
}

function metricsTable(rows: EpochMetrics[]): string[] {
  const header = ['epoch', 'loss', 'k-means obj', 'NMI(t,t-1)', 'NMI labels', 'ARI', 'acc', 'empty', 's/epoch'];
  const body = rows.map((m) => [
    String(m.epoch),
    fmt(m.loss, 3),
    fmt(m.clusteringObjective, 1),
    fmt(m.nmiPrev, 3),
    fmt(m.nmiLabels, 3),
    fmt(m.ari, 3),
    fmt(m.accuracy, 3),
    String(m.clusters.empty),
    fmt(m.seconds.epoch, 1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(header), ...body.map(line)];
}

function metricsLine(m: EpochMetrics): string {
  const parts = [`loss ${fmt(m.loss, 3)}`];
  if (m.nmiPrev !== undefined) parts.push(`NMI(t,t-1) ${fmt(m.nmiPrev, 3)}`);
  if (m.nmiLabels !== undefined) parts.push(`NMI labels ${fmt(m.nmiLabels, 3)}`);
  if (m.ari !== undefined) parts.push(`ARI ${fmt(m.ari, 3)}`);
  if (m.accuracy !== undefined) parts.push(`acc ${fmt(m.accuracy, 3)}`);
  parts.push(`${fmt(m.seconds.epoch, 1)} s`);
  return parts.join(', ');
}

function fmt(x: number | undefined, digits: number): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  try {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      if (e.isFile()) total += (await fs.stat(path.join(dir, e.name))).size;
    }
  } catch {
    // missing folder: 0
  }
  return total;
}
