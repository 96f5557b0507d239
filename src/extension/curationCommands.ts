// Curation from the runs tree: Rename Cluster… and Mark/Unmark as Junk on a cluster, Export Labelled Images… on a
// checkpoint or run. The decisions go to <run>/curation.json through src/runfolder/curation.ts (carried to the
// node's checkpoint by largest overlap first); the export runs `deepcluster export` like the grid's button.
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { CurationFile } from '../protocol/curation';
import {
  emptyCuration,
  markJunk,
  readCuration,
  rebaseCuration,
  renameCluster,
  rootOf,
  writeCuration,
} from '../runfolder/curation';
import { readAssignments } from '../runfolder/curatedExport';
import { runAnalysis } from './panels/analysisRunner';
import type { TrainerLaunch } from './runManager';
import type { TreeNode } from './treeModel';

/** The run's curation restated for `epoch` (new when there is none). */
export function curationFor(runDir: string, epoch: number): CurationFile {
  const c = readCuration(runDir);
  if (!c) return emptyCuration(epoch);
  return c.epoch === epoch
    ? c
    : rebaseCuration(c, readAssignments(runDir, c.epoch), readAssignments(runDir, epoch), epoch);
}

export function registerCurationCommands(
  context: vscode.ExtensionContext,
  launch: TrainerLaunch,
  refresh: () => void,
  output: vscode.LogOutputChannel,
): void {
  const register = (id: string, fn: (node: TreeNode) => Promise<unknown>) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, (node: TreeNode) =>
        fn(node).catch((e: Error) => vscode.window.showErrorMessage(`DeepCluster: ${e.message}`)),
      ),
    );
  const clusterOf = (node: TreeNode) => {
    if (node?.kind !== 'cluster') throw new Error('pick a cluster in the DeepCluster view');
    return { runDir: dirname(dirname(node.ckpt.dir)), epoch: node.ckpt.epoch, cluster: node.cluster.index };
  };

  register('deepcluster.renameCluster', async (node) => {
    const { runDir, epoch, cluster } = clusterOf(node);
    const c = curationFor(runDir, epoch);
    const name = await vscode.window.showInputBox({
      title: `Name cluster ${cluster} (epoch ${epoch})`,
      value: c.clusters[rootOf(c, cluster)]?.name ?? '',
      prompt: 'Empty clears the name; exports use it as the class folder',
    });
    if (name === undefined) return;
    writeCuration(runDir, renameCluster(c, cluster, name));
    refresh();
  });

  register('deepcluster.toggleJunk', async (node) => {
    const { runDir, epoch, cluster } = clusterOf(node);
    const c = curationFor(runDir, epoch);
    const junk = !c.clusters[rootOf(c, cluster)]?.junk;
    writeCuration(runDir, markJunk(c, cluster, junk));
    void vscode.window.showInformationMessage(
      `DeepCluster: cluster ${cluster} ${junk ? 'marked as junk (left out of exports)' : 'kept'}`,
    );
    refresh();
  });

  register('deepcluster.exportCurated', async (node) => {
    const ckpt =
      node?.kind === 'checkpoint' ? node.ckpt : node?.kind === 'run' ? node.run.checkpoints.at(-1) : undefined;
    if (!ckpt) throw new Error('pick a run or a checkpoint in the DeepCluster view');
    const runDir = dirname(dirname(ckpt.dir));
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Image folder, symlinks', format: 'imagefolder', mode: 'symlink' },
        { label: 'Image folder, copies', format: 'imagefolder', mode: 'copy' },
        { label: 'CSV', format: 'csv', mode: 'symlink' },
      ],
      { title: 'Export the curated clusters (junk left out)' },
    );
    if (!pick) return;
    const out =
      pick.format === 'csv'
        ? (
            await vscode.window.showSaveDialog({
              defaultUri: vscode.Uri.file(join(runDir, `curated-epoch-${ckpt.epoch}.csv`)),
              filters: { CSV: ['csv'] },
            })
          )?.fsPath
        : ((p) => p && join(p, `${basename(runDir)}-curated-epoch-${ckpt.epoch}`))(
            (
              await vscode.window.showOpenDialog({
                canSelectFolders: true,
                canSelectFiles: false,
                openLabel: 'Export here',
              })
            )?.[0]?.fsPath,
          );
    if (!out) return;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'DeepCluster: exporting', cancellable: true },
      async (progress, token) => {
        const run = runAnalysis(
          launch,
          ['export', runDir, '--epoch', String(ckpt.epoch), '--out', out, '--format', pick.format, '--mode', pick.mode],
          (done, total) => progress.report({ message: `${done}/${total}` }),
          (l) => output.debug(`[export] ${l}`),
        );
        token.onCancellationRequested(() => run.cancel());
        await run.done;
      },
    );
    void vscode.window.showInformationMessage(`DeepCluster: exported the curated clusters to ${out}`);
  });
}
