import type { TrainConfig } from './config';
import type { EngineInfo } from './engine';

/**
 * The run directory: the contract between the trainer (its only writer) and everything that reads it.
 *   <run>/run.json                 RunManifest
 *   <run>/events.jsonl             TrainerEvent per line, append-only (a torn last line is tolerated)
 *   <run>/skipped.txt              files that could not be read, one "path<TAB>reason" per line
 *   <run>/trainer.pid              pid of a live trainer (removed on exit)
 *   <run>/checkpoints/epoch-0007/  CheckpointManifest in checkpoint.json, plus the files it lists
 *   <run>/latest                   text file: name of the newest complete checkpoint folder
 */
export const RUN_FILES = {
  manifest: 'run.json',
  events: 'events.jsonl',
  skipped: 'skipped.txt',
  pid: 'trainer.pid',
  checkpoints: 'checkpoints',
  latest: 'latest',
  checkpointManifest: 'checkpoint.json',
} as const;

export type RunStatus = 'running' | 'stopped' | 'finished' | 'failed';

export interface DatasetInfo {
  path: string;
  kind: 'idx' | 'cifar' | 'folder' | 'sample';
  images: number;
  /** Stable hash of the file list, sizes and mtimes (or of the binary files). */
  fingerprint: string;
  labelled: boolean;
  classNames?: string[];
  channels: number;
  skipped: number;
}

export interface RunManifest {
  version: 1;
  id: string;
  created: string;
  updated: string;
  status: RunStatus;
  config: TrainConfig;
  dataset: DatasetInfo;
  engine?: EngineInfo;
  epochsDone: number;
  versions: Record<string, string>;
}

export function checkpointDirName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}
