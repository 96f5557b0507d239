// Finding runs and reading one back for people: the tree, the panels, `inspect`, `resume`. Everything comes from
// disk; a run being written, or killed mid-write, reads as what it is.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EffectiveRunStatus, RunManifest } from '../protocol/run';
import { listCheckpoints, type CheckpointRef } from './checkpoints';
import { readJsonIfAny } from './json';
import { RUN_FILES, checkpointFile, runDirOfCheckpoint, runFile } from './layout';
import { trainerLiveness, type PidInfo, type TrainerLiveness } from './liveness';
import { isRunDir } from './manifest';

/** What a reader concludes about a run: run.json's status, `running` without a live trainer being `interrupted`. */
export type RunState = EffectiveRunStatus | 'unknown';

export interface RunSummary {
  dir: string;
  id: string;
  /** undefined while run.json cannot be read. */
  manifest?: RunManifest;
  state: RunState;
  liveness: TrainerLiveness;
  /** The trainer's pid file, when there is one. */
  pidInfo?: PidInfo;
  /** pid of the live trainer writing this run, if any. */
  pid?: number;
  epochsDone: number;
  epochsTotal: number;
  /** Complete checkpoints, oldest first. */
  checkpoints: CheckpointRef[];
}

/** Reads one run. `exists` (does this pid run?) is injectable for tests. */
export function readRun(dir: string, exists?: (pid: number) => boolean): RunSummary {
  const manifest = readJsonIfAny<RunManifest>(runFile(dir, 'manifest'));
  const checkpoints = listCheckpoints(dir);
  const { liveness, pid: pidInfo } = trainerLiveness(dir, exists);
  let state: RunState = manifest?.status ?? 'unknown';
  if (liveness === 'alive') state = 'running';
  // A trainer on another host (`unknown`) may well be running: only a local, dead one makes a run interrupted.
  else if ((state === 'running' && liveness !== 'unknown') || state === 'unknown') state = 'interrupted';
  const lastCkpt = checkpoints.at(-1);
  return {
    dir,
    id: manifest?.id ?? path.basename(path.resolve(dir)),
    manifest,
    state,
    liveness,
    pidInfo,
    pid: liveness === 'alive' ? pidInfo?.pid : undefined,
    epochsDone: manifest?.epochsDone ?? (lastCkpt ? lastCkpt.epoch + 1 : 0),
    epochsTotal: manifest?.config?.epochs ?? 0,
    checkpoints,
  };
}

/** Runs directly under `runsRoot`, newest first (by folder mtime). A missing root is simply empty. */
export function listRuns(runsRoot: string, exists?: (pid: number) => boolean): RunSummary[] {
  let names: string[];
  try {
    names = fs.readdirSync(runsRoot);
  } catch {
    return [];
  }
  const runs: { run: RunSummary; mtime: number }[] = [];
  for (const name of names) {
    const dir = path.join(runsRoot, name);
    try {
      if (!fs.statSync(dir).isDirectory() || !isRunDir(dir)) continue;
      runs.push({ run: readRun(dir, exists), mtime: fs.statSync(dir).mtimeMs });
    } catch {
      // vanished while we looked
    }
  }
  return runs.sort((a, b) => b.mtime - a.mtime || a.run.id.localeCompare(b.run.id)).map((r) => r.run);
}

/** Folders at or below `root` (up to `depth` levels) that hold a run, sorted by path. */
export function findRuns(root: string, depth = 3): string[] {
  const found: string[] = [];
  const walk = (dir: string, level: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
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
      walk(path.join(dir, e.name), level + 1);
    }
  };
  walk(path.resolve(root), 0);
  return found.sort();
}

export interface CheckpointLocation {
  runDir: string;
  /** `epoch-0007` */
  name: string;
  dir: string;
}

/**
 * A checkpoint folder, or a run folder (its newest complete checkpoint), from a path a user gave. Returns a one-line
 * reason instead when the path is neither.
 */
export function locateCheckpoint(target: string): CheckpointLocation | { error: string } {
  const abs = path.resolve(target);
  if (fs.existsSync(checkpointFile(abs, 'manifest'))) {
    const runDir = runDirOfCheckpoint(abs);
    if (!isRunDir(runDir))
      return { error: `${abs} is not inside a run folder (no ${RUN_FILES.manifest} in ${runDir})` };
    return { runDir, name: path.basename(abs), dir: abs };
  }
  if (isRunDir(abs)) {
    const ref = listCheckpoints(abs).at(-1);
    if (!ref) return { error: `run ${abs} has no complete checkpoint yet` };
    return { runDir: abs, name: ref.name, dir: ref.dir };
  }
  return { error: `${abs} is neither a checkpoint folder (with ${RUN_FILES.checkpointManifest}) nor a run folder` };
}
