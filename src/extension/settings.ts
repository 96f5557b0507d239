// The deepcluster.* settings, read fresh on every use so changes apply to the next run.
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { ArchName, BackendRequest, RecipeName } from '../protocol';
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
    recipe: setting<RecipeName>('recipe', 'v2'),
    // 'auto' / 0: the trainer decides (the recipe's architecture; k and batch from the dataset's size).
    arch: orUndefined(setting<ArchName | 'auto'>('architecture', 'auto')),
    k: setting('k', 0) || undefined,
    epochs: setting('epochs', 0) || undefined,
    batchSize: setting('batchSize', 0) || undefined,
    backend: setting<BackendRequest>('backend', 'auto'),
    cacheDir: cache || undefined,
  };
}

function orUndefined(arch: ArchName | 'auto'): ArchName | undefined {
  return arch === 'auto' ? undefined : arch;
}
