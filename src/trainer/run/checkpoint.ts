// Checkpoints: everything `resume` needs to continue the same schedule, and everything the checkpoint viewer
// shows. Written file by file into checkpoints/.tmp-epoch-NNNN-<pid>, checkpoint.json last, then renamed to
// checkpoints/epoch-NNNN as a whole, then `latest` is updated. A killed trainer therefore leaves either a
// complete checkpoint or a temp folder that nobody trusts.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ArchName } from '../../protocol/config';
import type { EpochMetrics } from '../../protocol/events';
import {
  CHECKPOINT_FILES,
  CHECKPOINT_VERSION,
  RUN_FILES,
  checkpointDirName,
  checkpointEpoch,
  type CheckpointFileEntry,
  type CheckpointManifest,
  type CheckpointRole,
  type CheckpointTopology,
  type ClusterExemplars,
  type LabelHistograms,
} from '../../protocol/run';
import { describeWriteError, fsyncDir, readJson, writeFileAtomic, writeFileDurable } from './atomic';

/** A raw array with its shape (row-major). */
export interface SavedArray<T extends Float32Array | Int32Array = Float32Array> {
  data: T;
  shape: number[];
}

/** What one checkpoint holds. Tensors are read, never disposed, by saveCheckpoint. */
export interface CheckpointState {
  /** 0-based epoch that just finished. */
  epoch: number;
  arch: ArchName;
  /** The model's options (ModelOptions), stored as model.json's modelTopology.options. */
  modelOptions: Record<string, unknown>;
  /** ConvNet.namedWeights() (includes the top layer when attached). */
  weights: Map<string, tf.Tensor>;
  /** Optimizer slots by name (e.g. momentum buffers) plus its plain settings (lr, iterations, ...). */
  optimizer?: { state: Map<string, tf.Tensor>; config?: Record<string, unknown> };
  /** Cluster of each image, in dataset order. */
  assignments: Int32Array;
  /** Distance of each image to its cluster's centroid in the clustering space. */
  distances?: Float32Array;
  /** Number of clusters of this assignment. */
  k: number;
  /** [k, pcaDim] k-means centroids. */
  centroids?: SavedArray;
  /** PCA whitening: mean [featureDim] and matrix [pcaDim, featureDim] (its meaning is the clustering code's). */
  pca?: { mean: SavedArray; matrix: SavedArray };
  exemplars?: ClusterExemplars;
  labelHistograms?: LabelHistograms;
  /** RNG states by name (JSON-serialisable). */
  rng?: Record<string, unknown>;
  metrics: EpochMetrics;
}

/** What loadCheckpoint returns. The caller owns (and disposes) the tensors. */
export interface LoadedCheckpoint extends Omit<CheckpointState, 'modelOptions' | 'optimizer'> {
  dir: string;
  manifest: CheckpointManifest;
  modelOptions: Record<string, unknown>;
  optimizer?: { state: Map<string, tf.Tensor>; config?: Record<string, unknown> };
}

/** model.json / optimizer.json: the TF.js weights format (weightsManifest of tf.io.encodeWeights specs). */
interface WeightsJson {
  format: string;
  generatedBy: string;
  modelTopology?: CheckpointTopology;
  config?: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface SaveCheckpointOptions {
  /** Keep only the newest N checkpoints (default: keep every epoch's). */
  keep?: number;
  /** Fault injection for tests: runs after the temp folder is complete, before it is renamed. */
  beforeRename?: (tempDir: string) => void | Promise<void>;
}

/** A complete checkpoint on disk. */
export interface CheckpointRef {
  name: string;
  epoch: number;
  dir: string;
  manifest: CheckpointManifest;
  /** Total bytes of its files. */
  bytes: number;
}

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, RUN_FILES.checkpoints);
}

const TEMP_PREFIX = '.tmp-';
const OLD_PREFIX = '.old-';

/** Save a checkpoint into <run>/checkpoints/epoch-NNNN and point `latest` at it. Returns its folder. */
export async function saveCheckpoint(
  runDir: string,
  state: CheckpointState,
  options: SaveCheckpointOptions = {},
): Promise<CheckpointRef> {
  const parent = checkpointsDir(runDir);
  const name = checkpointDirName(state.epoch);
  const finalDir = path.join(parent, name);
  const tempDir = path.join(parent, `${TEMP_PREFIX}${name}-${process.pid}`);
  const files: CheckpointFileEntry[] = [];
  try {
    await fs.mkdir(parent, { recursive: true });
    await fs.rm(tempDir, { recursive: true, force: true });
    await fs.mkdir(tempDir);

    const put = async (role: CheckpointRole, data: string | Uint8Array, extra: Partial<CheckpointFileEntry> = {}) => {
      const file = CHECKPOINT_FILES[role];
      await writeFileDurable(path.join(tempDir, file), data);
      files.push({ role, file, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength, ...extra });
    };
    const putArray = (role: CheckpointRole, a: SavedArray<Float32Array | Int32Array>) =>
      put(role, bytesOf(a.data), { dtype: a.data instanceof Int32Array ? 'int32' : 'float32', shape: a.shape });

    // Model weights in the TF.js weights format.
    const model = await encodeNamed(state.weights, CHECKPOINT_FILES.weights);
    await put('weights', model.data);
    await put('model', json({ ...model.json, modelTopology: { arch: state.arch, options: state.modelOptions } }));
    if (state.optimizer) {
      const opt = await encodeNamed(state.optimizer.state, CHECKPOINT_FILES.optimizerWeights);
      await put('optimizerWeights', opt.data);
      await put('optimizer', json({ ...opt.json, config: state.optimizer.config ?? {} }));
    }
    await putArray('assignments', { data: state.assignments, shape: [state.assignments.length] });
    if (state.distances) await putArray('distances', { data: state.distances, shape: [state.distances.length] });
    if (state.centroids) await putArray('centroids', state.centroids);
    if (state.pca) {
      await putArray('pcaMean', state.pca.mean);
      await putArray('pcaMatrix', state.pca.matrix);
    }
    if (state.exemplars) await put('exemplars', json(state.exemplars));
    if (state.labelHistograms) await put('labelHistograms', json(state.labelHistograms));
    if (state.rng) await put('rng', json(state.rng));
    await put('metrics', json(state.metrics));

    // checkpoint.json last: its presence (with matching sizes) is what "complete" means.
    const manifest: CheckpointManifest = {
      version: CHECKPOINT_VERSION,
      epoch: state.epoch,
      created: new Date().toISOString(),
      arch: state.arch,
      k: state.k,
      images: state.assignments.length,
      files,
    };
    await writeFileDurable(path.join(tempDir, RUN_FILES.checkpointManifest), json(manifest));
    await fsyncDir(tempDir);
    await options.beforeRename?.(tempDir);

    // A folder of the same epoch (a run resumed after dying between rename and `latest`) is moved aside first:
    // rename cannot replace a non-empty folder.
    const aside = path.join(parent, `${OLD_PREFIX}${name}-${process.pid}`);
    const replaced = await fs.rename(finalDir, aside).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    await fs.rename(tempDir, finalDir);
    await fsyncDir(parent);
    if (replaced) await fs.rm(aside, { recursive: true, force: true });

    await writeFileAtomic(path.join(runDir, RUN_FILES.latest), name + '\n');
    if (options.keep !== undefined) await pruneCheckpoints(runDir, options.keep);
    return { name, epoch: state.epoch, dir: finalDir, manifest, bytes: sumBytes(manifest) };
  } catch (err) {
    await fs.rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
    if (err instanceof CheckpointError) throw err;
    // Named after the checkpoint, not the temp file: "disk full while writing <run>/checkpoints/epoch-0007".
    throw describeWriteError(err, finalDir);
  }
}

/** Check that a checkpoint folder is complete: checkpoint.json readable, every listed file with its size. */
export async function verifyCheckpoint(
  dir: string,
): Promise<{ complete: true; manifest: CheckpointManifest } | { complete: false; reason: string }> {
  let manifest: CheckpointManifest;
  try {
    manifest = await readJson<CheckpointManifest>(path.join(dir, RUN_FILES.checkpointManifest));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { complete: false, reason: code === 'ENOENT' ? `${RUN_FILES.checkpointManifest} is missing` : String((err as Error).message) };
  }
  if (manifest.version !== CHECKPOINT_VERSION) {
    return { complete: false, reason: `version ${manifest.version}; this trainer reads version ${CHECKPOINT_VERSION}` };
  }
  if (!Array.isArray(manifest.files) || !manifest.files.some((f) => f.role === 'model')) {
    return { complete: false, reason: 'checkpoint.json lists no model' };
  }
  for (const entry of manifest.files) {
    let size: number;
    try {
      size = (await fs.stat(path.join(dir, entry.file))).size;
    } catch {
      return { complete: false, reason: `${entry.file} is missing` };
    }
    if (size !== entry.bytes) return { complete: false, reason: `${entry.file} has ${size} bytes, expected ${entry.bytes}` };
  }
  return { complete: true, manifest };
}

/** Load a checkpoint; a half-written one is refused with a CheckpointError naming what is missing. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const check = await verifyCheckpoint(dir);
  if (!check.complete) {
    throw new CheckpointError(
      check.reason.startsWith('version')
        ? `checkpoint ${dir} has format ${check.reason}`
        : `checkpoint ${dir} is incomplete (${check.reason}); it was not fully written`,
    );
  }
  const manifest = check.manifest;
  const entry = (role: CheckpointRole) => manifest.files.find((f) => f.role === role);
  const readText = async (role: CheckpointRole) => {
    const e = entry(role);
    return e ? JSON.parse(await fs.readFile(path.join(dir, e.file), 'utf8')) : undefined;
  };

  const model = (await readText('model')) as WeightsJson;
  const weights = await decodeNamed(dir, model);
  let optimizer: LoadedCheckpoint['optimizer'];
  const optJson = (await readText('optimizer')) as WeightsJson | undefined;
  if (optJson) optimizer = { state: await decodeNamed(dir, optJson), config: optJson.config };

  const assignments = await readArray(dir, entry('assignments'));
  const float = async (role: CheckpointRole) => {
    const a = await readArray(dir, entry(role));
    return a ? (a as SavedArray<Float32Array>) : undefined;
  };
  const centroids = await float('centroids');
  const pcaMean = await float('pcaMean');
  const pcaMatrix = await float('pcaMatrix');
  return {
    dir,
    manifest,
    epoch: manifest.epoch,
    arch: manifest.arch,
    k: manifest.k,
    modelOptions: model.modelTopology?.options ?? {},
    weights,
    optimizer,
    assignments: (assignments?.data as Int32Array | undefined) ?? new Int32Array(0),
    centroids,
    pca: pcaMean && pcaMatrix ? { mean: pcaMean, matrix: pcaMatrix } : undefined,
    exemplars: await readText('exemplars'),
    labelHistograms: await readText('labelHistograms'),
    rng: await readText('rng'),
    metrics: await readText('metrics'),
  };
}

/** Read one raw array of a checkpoint (no tensors: usable by `inspect` and the extension). */
export async function readArray(
  dir: string,
  entry: CheckpointFileEntry | undefined,
): Promise<SavedArray<Float32Array | Int32Array> | undefined> {
  if (!entry) return undefined;
  const buf = await fs.readFile(path.join(dir, entry.file));
  // Copy into a fresh, aligned ArrayBuffer (a Buffer may sit at any offset of a shared pool).
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  const data = entry.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
  return { data, shape: entry.shape ?? [data.length] };
}

/** Checkpoint folders of a run (complete or not), newest epoch first. Temp folders are not listed. */
export async function listCheckpoints(runDir: string): Promise<{ name: string; epoch: number; dir: string }[]> {
  const parent = checkpointsDir(runDir);
  let names: string[];
  try {
    names = await fs.readdir(parent);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, epoch: checkpointEpoch(name), dir: path.join(parent, name) }))
    .filter((c): c is { name: string; epoch: number; dir: string } => c.epoch !== undefined)
    .sort((a, b) => b.epoch - a.epoch);
}

/** The name `latest` holds, if any. */
export async function readLatestName(runDir: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(path.join(runDir, RUN_FILES.latest), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The checkpoint to resume from: the newest complete one. `latest` normally names it; when `latest` is missing
 * or names an incomplete folder we fall back to the newest complete folder (`fellBack` says so). With
 * `clean`, temp folders left by dead trainers are removed (only the trainer should pass it: readers never write).
 */
export async function latestCompleteCheckpoint(
  runDir: string,
  options: { clean?: boolean } = {},
): Promise<(CheckpointRef & { fellBack: boolean }) | undefined> {
  if (options.clean) await cleanCheckpointTemps(runDir);
  const latest = await readLatestName(runDir);
  for (const c of await listCheckpoints(runDir)) {
    const check = await verifyCheckpoint(c.dir);
    if (!check.complete) continue;
    return { ...c, manifest: check.manifest, bytes: sumBytes(check.manifest), fellBack: c.name !== latest };
  }
  return undefined;
}

/** Remove temp / moved-aside checkpoint folders whose trainer process is gone. Returns the names removed. */
export async function cleanCheckpointTemps(runDir: string): Promise<string[]> {
  const parent = checkpointsDir(runDir);
  let names: string[];
  try {
    names = await fs.readdir(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX) && !name.startsWith(OLD_PREFIX)) continue;
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) continue; // another live trainer's
    if (pid === process.pid) continue; // possibly being written by us right now
    await fs.rm(path.join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Keep the newest `keep` complete checkpoints (and whatever `latest` names); delete older epoch folders. */
export async function pruneCheckpoints(runDir: string, keep: number): Promise<string[]> {
  const latest = await readLatestName(runDir);
  const removed: string[] = [];
  let kept = 0;
  for (const c of await listCheckpoints(runDir)) {
    if (c.name === latest || kept < keep) {
      if ((await verifyCheckpoint(c.dir)).complete) kept++;
      continue;
    }
    await fs.rm(c.dir, { recursive: true, force: true });
    removed.push(c.name);
  }
  return removed;
}

export function sumBytes(manifest: CheckpointManifest): number {
  return manifest.files.reduce((s, f) => s + f.bytes, 0);
}

// ---- helpers --------------------------------------------------------------------------------------------

function json(value: unknown): string {
  return JSON.stringify(value) + '\n';
}

function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

async function encodeNamed(named: Map<string, tf.Tensor>, binFile: string) {
  const { data, specs } = await tf.io.encodeWeights(Object.fromEntries(named));
  const weightsJson: Omit<WeightsJson, 'modelTopology' | 'config'> = {
    format: 'deepcluster-checkpoint',
    generatedBy: `TensorFlow.js tfjs-core v${tf.version_core}`,
    weightsManifest: [{ paths: [binFile], weights: specs }],
  };
  return { data: new Uint8Array(data), json: weightsJson };
}

async function decodeNamed(dir: string, weightsJson: WeightsJson): Promise<Map<string, tf.Tensor>> {
  const out = new Map<string, tf.Tensor>();
  for (const group of weightsJson.weightsManifest) {
    const buffers = await Promise.all(group.paths.map((p) => fs.readFile(path.join(dir, p))));
    const joined = Buffer.concat(buffers);
    const data = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
    const decoded = tf.io.decodeWeights(data, group.weights);
    for (const spec of group.weights) out.set(spec.name, decoded[spec.name]);
  }
  return out;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
