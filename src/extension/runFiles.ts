// Reading run directories (src/protocol/run.ts) from the extension side. Plain Node, no vscode: the trainer is
// the only writer, we only look. Every reader tolerates a run that is being written or was killed mid-write.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILES, type EpochMetrics, type RunManifest, type RunStatus, type TrainerEvent } from '../protocol';
import { parseEventsText } from './trainerEvents';

/** What the tree shows for a run. `interrupted`: run.json says running but no live trainer owns it. */
export type RunState = RunStatus | 'interrupted' | 'unknown';

export interface RunSummary {
  dir: string;
  id: string;
  manifest?: RunManifest;
  state: RunState;
  /** pid of a live trainer writing this run, if any. */
  pid?: number;
  epochsDone: number;
  epochsTotal: number;
  checkpoints: CheckpointRef[];
}

export interface CheckpointRef {
  name: string;
  epoch: number;
  dir: string;
  manifestPath: string;
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). EPERM means it exists. */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(runDir: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(join(runDir, RUN_FILES.pid), 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** A folder is a run when it has run.json or events.jsonl (the trainer may not have written run.json yet). */
export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, RUN_FILES.manifest)) || existsSync(join(dir, RUN_FILES.events));
}

/** Complete checkpoints, oldest first. A folder without checkpoint.json is a write in progress: skipped. */
export function listCheckpoints(runDir: string): CheckpointRef[] {
  const root = join(runDir, RUN_FILES.checkpoints);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: CheckpointRef[] = [];
  for (const name of names) {
    const m = /^epoch-(\d+)$/.exec(name);
    const manifestPath = join(root, name, RUN_FILES.checkpointManifest);
    if (m && existsSync(manifestPath)) out.push({ name, epoch: Number(m[1]), dir: join(root, name), manifestPath });
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}

export function readEvents(runDir: string): TrainerEvent[] {
  try {
    return parseEventsText(readFileSync(join(runDir, RUN_FILES.events), 'utf8'));
  } catch {
    return [];
  }
}

/** Per-epoch metrics from events.jsonl (the last value wins when an epoch was redone after a resume). */
export function epochMetrics(events: TrainerEvent[]): EpochMetrics[] {
  const byEpoch = new Map<number, EpochMetrics>();
  for (const e of events) if (e.type === 'epoch') byEpoch.set(e.metrics.epoch, e.metrics);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

export function readRun(dir: string, alive: (pid: number) => boolean = isPidAlive): RunSummary {
  const manifest = readJson<RunManifest>(join(dir, RUN_FILES.manifest));
  const checkpoints = listCheckpoints(dir);
  const pid = readPid(dir);
  const live = pid !== undefined && alive(pid);
  let state: RunState = manifest?.status ?? 'unknown';
  if (live) state = 'running';
  else if (state === 'running' || state === 'unknown') state = 'interrupted';
  const id = manifest?.id ?? dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
  const lastCkpt = checkpoints.at(-1);
  return {
    dir,
    id,
    manifest,
    state,
    pid: live ? pid : undefined,
    epochsDone: manifest?.epochsDone ?? (lastCkpt ? lastCkpt.epoch + 1 : 0),
    epochsTotal: manifest?.config?.epochs ?? 0,
    checkpoints,
  };
}

/** Runs directly under `runsRoot`, newest first (by folder mtime). A missing root is simply empty. */
export function listRuns(runsRoot: string, alive: (pid: number) => boolean = isPidAlive): RunSummary[] {
  let names: string[];
  try {
    names = readdirSync(runsRoot);
  } catch {
    return [];
  }
  const runs: { run: RunSummary; mtime: number }[] = [];
  for (const name of names) {
    const dir = join(runsRoot, name);
    try {
      if (!statSync(dir).isDirectory() || !isRunDir(dir)) continue;
      runs.push({ run: readRun(dir, alive), mtime: statSync(dir).mtimeMs });
    } catch {
      // vanished while we looked
    }
  }
  return runs.sort((a, b) => b.mtime - a.mtime || a.run.id.localeCompare(b.run.id)).map((r) => r.run);
}
