// run.json: creating a run folder, reading and updating its manifest. Only the trainer writes it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../protocol/config';
import type { EngineInfo } from '../protocol/engine';
import type { DatasetInfo, RunManifest, RunStatus } from '../protocol/run';
import { writeJsonAtomic } from './atomic';
import { RUN_FILES, runFile } from './layout';

/** A run-directory problem the user must act on (one line, names the folder). */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirError';
  }
}

/** Files an OS drops into folders on its own; they do not make a folder "foreign". */
const HARMLESS = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

/** Whether a folder holds a run (has run.json). */
export function isRunDir(dir: string): boolean {
  return fs.existsSync(runFile(dir, 'manifest'));
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
    const stat = fs.statSync(dir);
    if (!stat.isDirectory())
      throw new RunDirError(`output folder ${dir} is a file, not a folder; choose another --out`);
    entries = fs.readdirSync(dir).filter((e) => !HARMLESS.has(e));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (entries.includes(RUN_FILES.manifest)) {
    const other = tryRead(() => readRunManifest(dir));
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
    fs.mkdirSync(runFile(dir, 'checkpoints'), { recursive: true });
  } catch (err) {
    throw new RunDirError(`cannot create output folder ${dir}: ${(err as Error).message.split('\n')[0]}`);
  }
  await writeRunManifest(dir, manifest);
}

/** run.json of a run; a RunDirError when the folder is not a run, an error naming the file when it is not JSON. */
export function readRunManifest(runDir: string): RunManifest {
  const file = runFile(runDir, 'manifest');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) throw new RunDirError(`${runDir} is not a run folder (no ${RUN_FILES.manifest})`);
    throw err;
  }
  try {
    return JSON.parse(text) as RunManifest;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Write run.json atomically, stamping `updated`. */
export async function writeRunManifest(runDir: string, manifest: RunManifest): Promise<void> {
  manifest.updated = new Date().toISOString();
  await writeJsonAtomic(runFile(runDir, 'manifest'), manifest);
}

/** Read-modify-write of run.json (only the trainer writes it, so no lock is needed). */
export async function updateRunManifest(
  runDir: string,
  change: Partial<RunManifest> | ((m: RunManifest) => RunManifest | void),
): Promise<RunManifest> {
  const current = readRunManifest(runDir);
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

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function tryRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** run.json for a viewer: undefined while it is missing or unreadable. */
export function peekRunManifest(runDir: string): RunManifest | undefined {
  return tryRead(() => readRunManifest(runDir));
}
