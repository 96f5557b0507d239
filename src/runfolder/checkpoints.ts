// Checkpoint folders: writing one so that a killed trainer leaves either a complete checkpoint or a temp folder
// nobody trusts, verifying, listing, finding the latest, pruning, and reading their files. No tfjs: what the
// files hold (TF.js weights) is src/trainer/run/checkpoint.ts's business; this module moves bytes.
// A checkpoint is written file by file into checkpoints/.tmp-epoch-NNNN-<pid>, checkpoint.json last, then renamed
// to checkpoints/epoch-NNNN as a whole, then `latest` is updated.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CHECKPOINT_VERSION,
  type CheckpointFileEntry,
  type CheckpointManifest,
  type CheckpointRole,
} from '../protocol/run';
import { describeWriteError, fsyncDir, writeFileAtomic, writeFileDurable } from './atomic';
import { CHECKPOINT_FILES, RUN_FILES, checkpointDirName, checkpointEpoch, checkpointFile, runFile } from './layout';
import { readJsonIfAny } from './json';
import { processExists } from './liveness';

/** A raw array with its shape (row-major). */
export interface SavedArray<T extends Float32Array | Int32Array = Float32Array> {
  data: T;
  shape: number[];
}

/** An epoch folder of checkpoints/, complete or not. */
export interface CheckpointFolder {
  name: string;
  epoch: number;
  dir: string;
}

/** A complete checkpoint on disk. */
export interface CheckpointRef extends CheckpointFolder {
  manifest: CheckpointManifest;
  manifestPath: string;
  /** Total bytes of its files. */
  bytes: number;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

const TEMP_PREFIX = '.tmp-';
const OLD_PREFIX = '.old-';

// ---- writing ------------------------------------------------------------------------------------------------

export interface CheckpointWriter {
  put(role: CheckpointRole, data: string | Uint8Array, extra?: Partial<CheckpointFileEntry>): Promise<void>;
  putArray(role: CheckpointRole, a: SavedArray<Float32Array | Int32Array>): Promise<void>;
  putJson(role: CheckpointRole, value: unknown): Promise<void>;
}

export interface WriteCheckpointOptions {
  /** Keep only the newest N checkpoints (default: keep every epoch's). */
  keep?: number;
  /** Fault injection for tests: runs after the temp folder is complete, before it is renamed. */
  beforeRename?: (tempDir: string) => void | Promise<void>;
}

/**
 * Write <run>/checkpoints/epoch-NNNN: `fill` puts the files, then checkpoint.json (listing them with their sizes)
 * is written last, the folder renamed into place and `latest` pointed at it.
 */
export async function writeCheckpoint(
  runDir: string,
  header: Omit<CheckpointManifest, 'version' | 'created' | 'files'>,
  fill: (w: CheckpointWriter) => Promise<void>,
  options: WriteCheckpointOptions = {},
): Promise<CheckpointRef> {
  const parent = runFile(runDir, 'checkpoints');
  const name = checkpointDirName(header.epoch);
  const finalDir = path.join(parent, name);
  const tempDir = path.join(parent, `${TEMP_PREFIX}${name}-${process.pid}`);
  const files: CheckpointFileEntry[] = [];
  const put: CheckpointWriter['put'] = async (role, data, extra = {}) => {
    const file = CHECKPOINT_FILES[role];
    await writeFileDurable(path.join(tempDir, file), data);
    files.push({ role, file, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength, ...extra });
  };
  const writer: CheckpointWriter = {
    put,
    putArray: (role, a) =>
      put(role, bytesOf(a.data), { dtype: a.data instanceof Int32Array ? 'int32' : 'float32', shape: a.shape }),
    putJson: (role, value) => put(role, JSON.stringify(value) + '\n'),
  };
  try {
    await fs.promises.mkdir(parent, { recursive: true });
    await fs.promises.rm(tempDir, { recursive: true, force: true });
    await fs.promises.mkdir(tempDir);
    await fill(writer);
    // checkpoint.json last: its presence (with matching sizes) is what "complete" means.
    const manifest: CheckpointManifest = {
      version: CHECKPOINT_VERSION,
      ...header,
      created: new Date().toISOString(),
      files,
    };
    await writeFileDurable(checkpointFile(tempDir, 'manifest'), JSON.stringify(manifest) + '\n');
    await fsyncDir(tempDir);
    await options.beforeRename?.(tempDir);

    // A folder of the same epoch (a run resumed after dying between rename and `latest`) is moved aside first:
    // rename cannot replace a non-empty folder.
    const aside = path.join(parent, `${OLD_PREFIX}${name}-${process.pid}`);
    const replaced = await fs.promises.rename(finalDir, aside).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    await fs.promises.rename(tempDir, finalDir);
    await fsyncDir(parent);
    if (replaced) await fs.promises.rm(aside, { recursive: true, force: true });

    await writeFileAtomic(runFile(runDir, 'latest'), name + '\n');
    if (options.keep !== undefined) await pruneCheckpoints(runDir, options.keep);
    return {
      name,
      epoch: header.epoch,
      dir: finalDir,
      manifest,
      manifestPath: checkpointFile(finalDir, 'manifest'),
      bytes: sumBytes(manifest),
    };
  } catch (err) {
    await fs.promises.rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
    if (err instanceof CheckpointError) throw err;
    // Named after the checkpoint, not the temp file: "disk full while writing <run>/checkpoints/epoch-0007".
    throw describeWriteError(err, finalDir);
  }
}

// ---- verifying and reading --------------------------------------------------------------------------------

export type CheckpointCheck = { complete: true; manifest: CheckpointManifest } | { complete: false; reason: string };

/** Check that a checkpoint folder is complete: checkpoint.json readable, every listed file with its size. */
export function verifyCheckpoint(dir: string): CheckpointCheck {
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(checkpointFile(dir, 'manifest'), 'utf8')) as CheckpointManifest;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      complete: false,
      reason: code === 'ENOENT' ? `${RUN_FILES.checkpointManifest} is missing` : String((err as Error).message),
    };
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
      size = fs.statSync(path.join(dir, entry.file)).size;
    } catch {
      return { complete: false, reason: `${entry.file} is missing` };
    }
    if (size !== entry.bytes)
      return { complete: false, reason: `${entry.file} has ${size} bytes, expected ${entry.bytes}` };
  }
  return { complete: true, manifest };
}

/** A verified checkpoint's files by role. Throws a CheckpointError naming what is missing when it is incomplete. */
export function openCheckpoint(dir: string): CheckpointFiles {
  const check = verifyCheckpoint(dir);
  if (!check.complete) {
    throw new CheckpointError(
      check.reason.startsWith('version')
        ? `checkpoint ${dir} has format ${check.reason}`
        : `checkpoint ${dir} is incomplete (${check.reason}); it was not fully written`,
    );
  }
  return checkpointFiles(dir, check.manifest);
}

/**
 * A checkpoint's files for a viewer, from its checkpoint.json, without verifying sizes: a file that is missing or
 * unreadable reads as undefined. Undefined when checkpoint.json itself is not there or not a checkpoint's.
 */
export function peekCheckpoint(manifestPath: string): CheckpointFiles | undefined {
  const manifest = readJsonIfAny<CheckpointManifest>(manifestPath);
  if (!manifest || typeof manifest.epoch !== 'number') return undefined;
  return checkpointFiles(path.dirname(manifestPath), manifest, true);
}

export interface CheckpointFiles {
  dir: string;
  manifest: CheckpointManifest;
  entry(role: CheckpointRole): CheckpointFileEntry | undefined;
  /** A JSON file of the checkpoint, undefined when it has none. */
  json<T>(role: CheckpointRole): T | undefined;
  array(role: CheckpointRole): SavedArray<Float32Array | Int32Array> | undefined;
  /** Files named relative to the folder (a weights manifest's `paths`), joined. */
  bytes(files: readonly string[]): Buffer;
}

function checkpointFiles(dir: string, manifest: CheckpointManifest, tolerant = false): CheckpointFiles {
  const listed = (role: CheckpointRole) => manifest.files?.find((f) => f.role === role);
  // A viewer also finds files under their default names (checkpoints written before a role was listed).
  const entry = (role: CheckpointRole): CheckpointFileEntry | undefined => {
    const e = listed(role);
    if (e) return e.dtype || !tolerant ? e : { ...e, dtype: defaultDtype(role) };
    return tolerant ? { role, file: CHECKPOINT_FILES[role], bytes: 0, dtype: defaultDtype(role) } : undefined;
  };
  const guard = <T>(read: () => T): T | undefined => {
    if (!tolerant) return read();
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  return {
    dir,
    manifest,
    entry,
    json: <T>(role: CheckpointRole) => {
      const e = entry(role);
      return e ? guard(() => JSON.parse(fs.readFileSync(path.join(dir, e.file), 'utf8')) as T) : undefined;
    },
    array: (role) => guard(() => readArray(dir, entry(role))),
    bytes: (files) => Buffer.concat(files.map((f) => fs.readFileSync(path.join(dir, f)))),
  };
}

function defaultDtype(role: CheckpointRole): 'int32' | 'float32' | undefined {
  return role === 'assignments' ? 'int32' : CHECKPOINT_FILES[role].endsWith('.f32') ? 'float32' : undefined;
}

/** Read one raw array of a checkpoint (a copy in a fresh, aligned buffer). */
export function readArray(
  dir: string,
  entry: CheckpointFileEntry | undefined,
): SavedArray<Float32Array | Int32Array> | undefined {
  if (!entry) return undefined;
  const buf = fs.readFileSync(path.join(dir, entry.file));
  // Copy into a fresh, aligned ArrayBuffer (a Buffer may sit at any offset of a shared pool).
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  const data = entry.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
  return { data, shape: entry.shape ?? [data.length] };
}

// ---- listing and housekeeping ------------------------------------------------------------------------------

/**
 * Epoch folders of a run (complete or not), oldest first. Temp folders are not listed, nor symlinks: the trainer
 * writes real folders, and a link could lead a reader (a webview's request) out of the run.
 */
export function listCheckpointFolders(runDir: string): CheckpointFolder[] {
  const parent = runFile(runDir, 'checkpoints');
  let names: string[];
  try {
    names = fs
      .readdirSync(parent, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, epoch: checkpointEpoch(name), dir: path.join(parent, name) }))
    .filter((c): c is CheckpointFolder => c.epoch !== undefined)
    .sort((a, b) => a.epoch - b.epoch);
}

/** Complete checkpoints of a run, oldest first (a folder still being written, or torn, is left out). */
export function listCheckpoints(runDir: string): CheckpointRef[] {
  const out: CheckpointRef[] = [];
  for (const c of listCheckpointFolders(runDir)) {
    const check = verifyCheckpoint(c.dir);
    if (check.complete)
      out.push({
        ...c,
        manifest: check.manifest,
        manifestPath: checkpointFile(c.dir, 'manifest'),
        bytes: sumBytes(check.manifest),
      });
  }
  return out;
}

/** The name `latest` holds, if any. */
export function readLatestName(runDir: string): string | undefined {
  try {
    return fs.readFileSync(runFile(runDir, 'latest'), 'utf8').trim() || undefined;
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
  const latest = readLatestName(runDir);
  for (const c of listCheckpointFolders(runDir).reverse()) {
    const check = verifyCheckpoint(c.dir);
    if (!check.complete) continue;
    return {
      ...c,
      manifest: check.manifest,
      manifestPath: checkpointFile(c.dir, 'manifest'),
      bytes: sumBytes(check.manifest),
      fellBack: c.name !== latest,
    };
  }
  return undefined;
}

/** Remove temp / moved-aside checkpoint folders whose trainer process is gone. Returns the names removed. */
export async function cleanCheckpointTemps(runDir: string): Promise<string[]> {
  const parent = runFile(runDir, 'checkpoints');
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX) && !name.startsWith(OLD_PREFIX)) continue;
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    if (pid === process.pid) continue; // possibly being written by us right now
    if (Number.isInteger(pid) && processExists(pid)) continue; // another live trainer's
    await fs.promises.rm(path.join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Keep the newest `keep` complete checkpoints (and whatever `latest` names); delete older epoch folders. */
export async function pruneCheckpoints(runDir: string, keep: number): Promise<string[]> {
  const latest = readLatestName(runDir);
  const removed: string[] = [];
  let kept = 0;
  for (const c of listCheckpointFolders(runDir).reverse()) {
    if (c.name === latest || kept < keep) {
      if (verifyCheckpoint(c.dir).complete) kept++;
      continue;
    }
    await fs.promises.rm(c.dir, { recursive: true, force: true });
    removed.push(c.name);
  }
  return removed;
}

export function sumBytes(manifest: CheckpointManifest): number {
  return manifest.files.reduce((s, f) => s + f.bytes, 0);
}

function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
