// The deepcluster.* settings, read fresh on every use so changes apply to the next run.
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { ArchName, BackendRequest } from '../protocol';
import type { TrainChoices } from './presets';

export function setting<T>(key: string, fallback: T): T {
  return vscode.workspace.getConfiguration('deepcluster').get<T>(key, fallback);
}

/** Runs folders: `deepcluster.runsFolder` in every workspace folder (or as given when absolute). */
export function runsRoots(globalStorage: vscode.Uri): string[] {
  const folder = setting('runsFolder', '.deepcluster/runs');
  if (isAbsolute(folder)) return [folder];
  const ws = vscode.workspace.workspaceFolders ?? [];
  if (ws.length === 0) return [join(globalStorage.fsPath, 'runs')];
  return ws.map((w) => join(w.uri.fsPath, folder));
}

export function baseChoices(out: string, data: string | undefined): TrainChoices {
  const cache = setting('cacheFolder', '');
  return {
    data,
    out,
    arch: setting<ArchName>('architecture', 'smallvgg'),
    k: setting('k', 100),
    epochs: setting('epochs', 20),
    batchSize: setting('batchSize', 256),
    backend: setting<BackendRequest>('backend', 'auto'),
    cacheDir: cache || undefined,
  };
}
