// "DeepCluster: Cluster Images with a Pretrained Model…" (a checkpoint + an image folder + k -> the trainer's
// `cluster --model` under the run manager, with progress and cancel; the run appears in the tree and the grid can
// open) and "DeepCluster: Download a Released Model…" (download/ does the HTTP, resumable, into global storage).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { checkpointDir, checkpointFile } from '../runfolder/layout';
import { downloadFile, DownloadError } from './download/download';
import { RELEASED_MODELS } from './download/releasedModels';
import { runName } from './presets';
import type { RunManager } from './runManager';
import { showProgress } from './trainFlow';
import { CLUSTER_WITH_PRETRAINED, PYTORCH_VIEW_TYPE } from './pytorchEditor';

export const DOWNLOAD_MODEL = 'deepcluster.downloadModel';
const CHECKPOINT_FILE = /\.(pth|pt|pth\.tar)$/i;

export interface PretrainedDeps {
  context: vscode.ExtensionContext;
  manager: RunManager;
  runsRoot: () => string;
  output: vscode.LogOutputChannel;
  register: (id: string, fn: (...args: never[]) => unknown) => void;
  onStarted: () => void;
}

const modelsDir = (context: vscode.ExtensionContext) => join(context.globalStorageUri.fsPath, 'models');
/** File dialogs start in the workspace, not in the folder of whatever editor is active. */
const workspaceFolder = () => vscode.workspace.workspaceFolders?.[0]?.uri;

/** Downloaded released models first, then "Browse…". */
async function pickModel(context: vscode.ExtensionContext): Promise<string | undefined> {
  const dir = modelsDir(context);
  const have = existsSync(dir) ? readdirSync(dir).filter((f) => CHECKPOINT_FILE.test(f)) : [];
  type Item = vscode.QuickPickItem & { value: string };
  const items: Item[] = [
    ...have.map((f) => ({
      label: `$(package) ${RELEASED_MODELS.find((m) => m.file === f)?.label ?? f}`,
      description: f,
      value: join(dir, f),
    })),
    {
      label: '$(folder-opened) Choose a checkpoint file…',
      description: '.pth, .pth.tar, .pt, or a run folder',
      value: 'browse',
    },
    { label: '$(cloud-download) Download a released model…', value: 'download' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'DeepCluster: pretrained model' });
  if (!pick) return undefined;
  if (pick.value === 'download')
    return (await vscode.commands.executeCommand<string | undefined>(DOWNLOAD_MODEL, { quiet: true })) ?? undefined;
  if (pick.value !== 'browse') return pick.value;
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: true,
    defaultUri: workspaceFolder(),
    filters: { 'PyTorch checkpoint': ['pth', 'pt', 'tar'] },
    openLabel: 'Use this model',
  });
  return uris?.[0]?.fsPath;
}

export function registerPretrainedCommands(d: PretrainedDeps): void {
  d.register(CLUSTER_WITH_PRETRAINED, async (arg?: vscode.Uri | string) => {
    const model = typeof arg === 'string' ? arg : arg instanceof vscode.Uri ? arg.fsPath : await pickModel(d.context);
    if (!model) return;
    const folder = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: true,
      defaultUri: workspaceFolder(),
      openLabel: 'Cluster these images',
      title: 'Images to cluster (a folder; class subfolders give labels)',
    });
    const data = folder?.[0]?.fsPath;
    if (!data) return;
    const kText = await vscode.window.showInputBox({
      title: 'Number of clusters k',
      prompt: 'Empty: one cluster per 10 images, at most 100',
      validateInput: (v) =>
        v.trim() === '' || (/^\d+$/.test(v.trim()) && Number(v) >= 2)
          ? undefined
          : 'a whole number, at least 2 (or empty)',
    });
    if (kText === undefined) return;
    const out = join(d.runsRoot(), runName(data).replace(/(-\d{8}-\d{6})$/, '-pretrained$1'));
    mkdirSync(d.runsRoot(), { recursive: true });
    const args = [
      'cluster',
      '--model',
      model,
      '--data',
      data,
      '--out',
      out,
      ...(kText.trim() ? ['--k', kText.trim()] : []),
    ];
    d.output.info(`[${basename(out)}] started: ${args.join(' ')}`);
    const run = d.manager.start(out, args);
    showProgress(d.manager, run, `DeepCluster: clustering ${basename(data)} with ${basename(model)}`);
    d.onStarted();
    const exit = await run.exited;
    const manifest = checkpointFile(checkpointDir(out, 0), 'manifest');
    if (exit.code === 0 && existsSync(manifest)) {
      const a = await vscode.window.showInformationMessage(
        `DeepCluster: clustered ${basename(data)} into run ${basename(out)}.`,
        'Open Cluster Grid',
      );
      if (a) await vscode.commands.executeCommand('deepcluster.showClusterGrid', manifest);
    }
  });

  d.register(DOWNLOAD_MODEL, async (opts?: { quiet?: boolean }) => {
    const dir = modelsDir(d.context);
    const items = RELEASED_MODELS.map((m) => ({
      label: m.label,
      detail: m.detail,
      description: existsSync(join(dir, m.file))
        ? 'downloaded'
        : existsSync(join(dir, `${m.file}.part`))
          ? 'partly downloaded: resumes'
          : '',
      model: m,
    }));
    const pick = await vscode.window.showQuickPick(items, {
      title: 'DeepCluster: download a released model',
      placeHolder: "Saved in the extension's global storage",
    });
    if (!pick) return undefined;
    const dest = join(dir, pick.model.file);
    if (!existsSync(dest)) {
      mkdirSync(dir, { recursive: true });
      const ok = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Downloading ${pick.model.label}`, cancellable: true },
        async (progress, token) => {
          const ac = new AbortController();
          token.onCancellationRequested(() => ac.abort());
          let shown = 0;
          try {
            await downloadFile(pick.model.url, dest, {
              signal: ac.signal,
              onProgress: (received, total) => {
                const mb = (b: number) => (b / 1024 ** 2).toFixed(0);
                const pct = total ? (100 * received) / total : 0;
                progress.report({
                  message: `${mb(received)}${total ? ` of ${mb(total)}` : ''} MB`,
                  increment: total ? pct - shown : undefined,
                });
                shown = pct;
              },
            });
            return true;
          } catch (e) {
            d.output.warn(`download ${pick.model.url}: ${(e as Error).message}`);
            if (!(e instanceof DownloadError)) throw e;
            if (!ac.signal.aborted) void vscode.window.showErrorMessage(`DeepCluster: ${e.message}`);
            return false;
          }
        },
      );
      if (!ok) return undefined;
    }
    if (opts?.quiet) return dest;
    const a = await vscode.window.showInformationMessage(
      `DeepCluster: ${pick.model.label} is at ${dest}.`,
      'Cluster Images with It…',
      'Inspect',
    );
    if (a === 'Inspect')
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(dest), PYTORCH_VIEW_TYPE);
    else if (a) await vscode.commands.executeCommand(CLUSTER_WITH_PRETRAINED, dest);
    return dest;
  });
}
