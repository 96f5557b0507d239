// DeepCluster: Train — pick the data, pick a preset (or edit every setting), start the run, follow it with a
// progress notification that can cancel it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ARCHS, BACKENDS, RECIPES, type ArchName, type BackendRequest, type RecipeName } from '../protocol';
import { PRESETS, runName, trainArgs, type TrainChoices } from './presets';
import type { ManagedRun, RunManager } from './runManager';
import { baseChoices } from './settings';
import { describeProgress } from './trainerEvents';

/** `null`: the bundled sample; undefined: cancelled. */
export async function pickData(): Promise<string | null | undefined> {
  type Item = vscode.QuickPickItem & { value: string | null | 'browse' };
  const items: Item[] = [
    ...(vscode.workspace.workspaceFolders ?? []).map((f) => ({
      label: `$(folder) ${f.name}`,
      description: f.uri.fsPath,
      value: f.uri.fsPath,
    })),
    { label: '$(folder-opened) Choose a folder or file…', value: 'browse' },
    { label: '$(beaker) Sample dataset', description: 'bundled Fashion-MNIST test split', value: null },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: 'DeepCluster: data to train on',
    placeHolder: 'An image folder (class subfolders give labels), IDX file or CIFAR folder',
  });
  if (!pick) return undefined;
  if (pick.value !== 'browse') return pick.value;
  const uris = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: true,
    canSelectMany: false,
    openLabel: 'Train on this',
  });
  return uris?.[0]?.fsPath;
}

/** null: cancelled; undefined: left empty (only when `optional`). */
async function askNumber(
  title: string,
  value: number | undefined,
  optional: boolean,
): Promise<number | undefined | null> {
  const s = await vscode.window.showInputBox({
    title,
    value: value === undefined ? '' : String(value),
    validateInput: (v) =>
      /^[1-9]\d*$/.test(v.trim()) || (optional && v.trim() === '') ? undefined : 'a positive whole number',
  });
  if (s === undefined) return null;
  return s.trim() === '' ? undefined : Number(s.trim());
}

/** Every setting, one step after another; Escape cancels the whole run. */
async function editAll(c: TrainChoices): Promise<TrainChoices | undefined> {
  const recipe = await vscode.window.showQuickPick([...RECIPES], {
    title: 'Recipe: v2 (DeepCluster-v2, learns on small data) or paper (the exact 2018 method)',
    placeHolder: c.recipe,
  });
  if (!recipe) return undefined;
  const arch = await vscode.window.showQuickPick([...ARCHS], {
    title: 'Architecture',
    placeHolder: c.arch ?? (recipe === 'v2' ? 'resnet' : 'smallvgg'),
  });
  if (!arch) return undefined;
  const backend = await vscode.window.showQuickPick([...BACKENDS], { title: 'Backend', placeHolder: c.backend });
  if (!backend) return undefined;
  const k = await askNumber("k: number of clusters (empty: from the dataset's size)", c.k, true);
  if (k === null) return undefined;
  const epochs = await askNumber("Epochs (empty: from the dataset's size)", c.epochs, true);
  if (epochs === null) return undefined;
  const batchSize = await askNumber("Batch size (empty: from the dataset's size)", c.batchSize, true);
  if (batchSize === null) return undefined;
  const limitText = await vscode.window.showInputBox({
    title: 'Use only the first N images (empty: all)',
    value: c.limit ? String(c.limit) : '',
  });
  if (limitText === undefined) return undefined;
  return {
    ...c,
    recipe: recipe as RecipeName,
    arch: arch as ArchName,
    backend: backend as BackendRequest,
    k,
    epochs,
    batchSize,
    limit: limitText.trim() ? Number(limitText) : undefined,
  };
}

export async function pickChoices(data: string | null, runsRoot: string): Promise<TrainChoices | undefined> {
  const out = join(runsRoot, runName(data ?? undefined));
  const base = baseChoices(out, data ?? undefined);
  type Item = vscode.QuickPickItem & { apply?: (b: TrainChoices) => TrainChoices };
  const items: Item[] = [
    ...PRESETS.map((p) => ({ label: p.label, detail: p.detail, apply: p.apply })),
    { label: 'Edit every setting…', detail: 'recipe, architecture, backend, k, epochs, batch size, image limit' },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: `DeepCluster: how to train on ${data ?? 'the sample'}`,
  });
  if (!pick) return undefined;
  return pick.apply ? pick.apply(base) : editAll(base);
}

export function startTraining(manager: RunManager, choices: TrainChoices): ManagedRun {
  mkdirSync(join(choices.out, '..'), { recursive: true });
  return manager.start(choices.out, trainArgs(choices));
}

/** A cancellable notification that follows one run until it exits. */
export function showProgress(manager: RunManager, run: ManagedRun, title: string): void {
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => {
      let lastFraction = 0;
      const off = manager.onEvent((r) => {
        if (r !== run) return;
        const p = r.progress;
        const fraction = p.epochs ? (p.startEpoch + p.epochsFinished) / p.epochs : 0;
        progress.report({ message: describeProgress(p), increment: Math.max(0, (fraction - lastFraction) * 100) });
        lastFraction = fraction;
      });
      token.onCancellationRequested(() => void manager.stop(run.runDir));
      return run.exited.finally(off);
    },
  );
}
