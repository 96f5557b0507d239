// The run directory (layout in src/protocol/run.ts): creating it, run.json, the pid file, skipped.txt, and
// reading a run's state back for `inspect`, `resume` and the extension.
import * as fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import type { EngineInfo } from '../../protocol/engine';
import type { QualityReport, TrainerEvent } from '../../protocol/events';
import {
  RUN_FILES,
  type DatasetInfo,
  type EffectiveRunStatus,
  type RunManifest,
  type RunStatus,
} from '../../protocol/run';
import { exists, readJson, writeFileAtomic, writeJsonAtomic, RunWriteError } from './atomic';
import { readEvents } from './events';
import { latestCompleteCheckpoint, type CheckpointRef } from './checkpoint';

/** A run-directory problem the user must act on (one line, names the folder). */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirError';
  }
}

/** Files an OS drops into folders on its own; they do not make a folder "foreign". */
const HARMLESS = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

export function runManifestPath(runDir: string): string {
  return path.join(runDir, RUN_FILES.manifest);
}

/** Whether a folder holds a run (has run.json). */
export async function isRunDir(dir: string): Promise<boolean> {
  return exists(runManifestPath(dir));
}

export interface NewRunInput {
  config: TrainConfig;
  dataset: DatasetInfo;
  engine?: EngineInfo;
  versions?: Record<string, string>;
  /** Defaults to the folder name. */
  id?: string;
  now?: Date;
}

/** A fresh manifest with status `running` and no epochs done. */
export function newRunManifest(input: NewRunInput): RunManifest {
  const now = (input.now ?? new Date()).toISOString();
  return {
    version: 1,
    id: input.id ?? path.basename(path.resolve(input.config.out)),
    created: now,
    updated: now,
    status: 'running',
    config: input.config,
    dataset: input.dataset,
    engine: input.engine,
    epochsDone: 0,
    versions: input.versions ?? { node: process.versions.node },
  };
}

/**
 * Create the run folder `dir` and write its run.json. A new or empty folder is fine; one that already holds a
 * run, or any other files, is refused with a RunDirError so nothing is overwritten.
 */
export async function createRunDir(dir: string, manifest: RunManifest): Promise<void> {
  let entries: string[] = [];
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw new RunDirError(`output folder ${dir} is a file, not a folder; choose another --out`);
    entries = (await fs.readdir(dir)).filter((e) => !HARMLESS.has(e));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (entries.includes(RUN_FILES.manifest)) {
    const other = await readRunManifest(dir).catch(() => undefined);
    const what = other ? `run ${other.id} (${other.status}, ${other.epochsDone} epochs)` : 'another run';
    throw new RunDirError(
      `output folder ${dir} already holds ${what}; continue it with \`deepcluster resume ${dir}\` or choose another --out`,
    );
  }
  if (entries.length > 0) {
    const sample = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', ...' : '');
    throw new RunDirError(
      `output folder ${dir} is not empty (${entries.length} entries: ${sample}); choose an empty or new --out`,
    );
  }
  try {
    await fs.mkdir(path.join(dir, RUN_FILES.checkpoints), { recursive: true });
  } catch (err) {
    throw new RunDirError(`cannot create output folder ${dir}: ${(err as Error).message.split('\n')[0]}`);
  }
  await writeRunManifest(dir, manifest);
}

export async function readRunManifest(runDir: string): Promise<RunManifest> {
  const file = runManifestPath(runDir);
  try {
    return await readJson<RunManifest>(file);
  } catch (err) {
    if (isNotFound(err)) throw new RunDirError(`${runDir} is not a run folder (no ${RUN_FILES.manifest})`);
    throw err;
  }
}

/** Write run.json atomically, stamping `updated`. */
export async function writeRunManifest(runDir: string, manifest: RunManifest): Promise<void> {
  manifest.updated = new Date().toISOString();
  await writeJsonAtomic(runManifestPath(runDir), manifest);
}

/** Read-modify-write of run.json (only the trainer writes it, so no lock is needed). */
export async function updateRunManifest(
  runDir: string,
  change: Partial<RunManifest> | ((m: RunManifest) => RunManifest | void),
): Promise<RunManifest> {
  const current = await readRunManifest(runDir);
  const next = typeof change === 'function' ? (change(current) ?? current) : { ...current, ...change };
  await writeRunManifest(runDir, next);
  return next;
}

/** Set the run's status (and a one-line reason for `stopped` / `failed`). */
export async function setRunStatus(runDir: string, status: RunStatus, message?: string): Promise<RunManifest> {
  return updateRunManifest(runDir, (m) => {
    m.status = status;
    if (message !== undefined) m.message = message;
    else delete m.message;
  });
}

// ---- pid file: who owns the folder right now --------------------------------------------------------------

export interface PidInfo {
  pid: number;
  /** ISO time the trainer started. */
  started: string;
  host: string;
  /** Linux: start time of the process in clock ticks since boot (field 22 of /proc/<pid>/stat); tells pid reuse. */
  procStart?: string;
}

export type TrainerLiveness = 'alive' | 'stale' | 'none' | 'unknown';

function procStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields after the last ')' are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // field 22 overall = index 19 after state (field 3)
  } catch {
    return undefined;
  }
}

/** Write <run>/trainer.pid for this process: "pid\nstarted\nhost\nprocStart\n" (first line alone works with kill). */
export async function writePidFile(runDir: string, now = new Date()): Promise<PidInfo> {
  const info: PidInfo = {
    pid: process.pid,
    started: now.toISOString(),
    host: os.hostname(),
    procStart: procStartOf(process.pid),
  };
  const lines = [String(info.pid), info.started, info.host, info.procStart ?? ''];
  await writeFileAtomic(path.join(runDir, RUN_FILES.pid), lines.join('\n') + '\n');
  return info;
}

export async function removePidFile(runDir: string): Promise<void> {
  await fs.rm(path.join(runDir, RUN_FILES.pid), { force: true });
}

export async function readPidFile(runDir: string): Promise<PidInfo | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, RUN_FILES.pid), 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const [pid, started, host, procStart] = text.split('\n');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return { pid: n, started: started ?? '', host: host ?? '', procStart: procStart || undefined };
}

/**
 * Whether the trainer named in the pid file still runs: `stale` when its process is gone (or the pid now belongs
 * to another process), `unknown` when it ran on another host, `none` without a pid file.
 */
export async function trainerLiveness(runDir: string): Promise<{ liveness: TrainerLiveness; pid?: PidInfo }> {
  const info = await readPidFile(runDir);
  if (!info) return { liveness: 'none' };
  if (info.host && info.host !== os.hostname()) return { liveness: 'unknown', pid: info };
  if (!processExists(info.pid)) return { liveness: 'stale', pid: info };
  if (info.procStart) {
    const now = procStartOf(info.pid);
    if (now !== undefined && now !== info.procStart) return { liveness: 'stale', pid: info };
  }
  return { liveness: 'alive', pid: info };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

// ---- skipped files ----------------------------------------------------------------------------------------

export interface SkippedFile {
  path: string;
  reason: string;
}

/** Write <run>/skipped.txt: "path<TAB>reason" per line (tabs/newlines in either are replaced by spaces). */
export async function writeSkipped(runDir: string, skipped: readonly SkippedFile[]): Promise<string> {
  const file = path.join(runDir, RUN_FILES.skipped);
  const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ');
  await writeFileAtomic(file, skipped.map((s) => `${clean(s.path)}\t${clean(s.reason)}\n`).join(''));
  return file;
}

export async function readSkipped(runDir: string): Promise<SkippedFile[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, RUN_FILES.skipped), 'utf8');
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const tab = l.indexOf('\t');
      return tab < 0 ? { path: l, reason: '' } : { path: l.slice(0, tab), reason: l.slice(tab + 1) };
    });
}

// ---- finding and reading runs -----------------------------------------------------------------------------

/** Folders at or below `root` (up to `depth` levels) that hold a run.json, sorted by path. */
export async function findRuns(root: string, depth = 3): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string, level: number): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === RUN_FILES.manifest)) {
      found.push(dir);
      return; // a run's own folders hold no runs
    }
    if (level >= depth) return;
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'node_modules') continue;
      await walk(path.join(dir, e.name), level + 1);
    }
  }
  await walk(path.resolve(root), 0);
  return found.sort();
}

/** Everything a reader needs to show a run, from disk only. */
export interface RunState {
  dir: string;
  manifest: RunManifest;
  /** run.json's status, except `running` without a live trainer reads as `interrupted`. */
  status: EffectiveRunStatus;
  liveness: TrainerLiveness;
  pid?: PidInfo;
  latest?: CheckpointRef;
  lastEvent?: TrainerEvent;
  eventsTorn: boolean;
}

export async function readRunState(runDir: string): Promise<RunState> {
  const manifest = await readRunManifest(runDir);
  const { liveness, pid } = await trainerLiveness(runDir);
  const status: EffectiveRunStatus =
    manifest.status === 'running' && (liveness === 'stale' || liveness === 'none') ? 'interrupted' : manifest.status;
  const latest = await latestCompleteCheckpoint(runDir);
  const events = await readEvents(runDir);
  return {
    dir: runDir,
    manifest,
    status,
    liveness,
    pid,
    latest,
    lastEvent: events.events.at(-1),
    eventsTorn: events.torn,
  };
}


function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

export { RunWriteError };

/** Writes a quality report for one checkpoint: <run>/evaluations/<checkpoint>.json (what the inspector shows). */
export async function writeEvaluation(runDir: string, checkpointName: string, report: QualityReport): Promise<string> {
  const dir = path.join(runDir, RUN_FILES.evaluations);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${checkpointName}.json`);
  await writeFileAtomic(file, JSON.stringify(report, null, 1) + '\n');
  return file;
}
