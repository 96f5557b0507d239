// The extension's entry: wires the run manager (spawning trainers), the Runs tree, the checkpoint inspector,
// the status bar and the commands. Thin on purpose: logic lives in the vscode-free modules next to it.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { readCheckpoint } from './checkpointData';
import { CHECKPOINT_VIEW_TYPE, CheckpointEditorProvider } from './checkpointEditor';
import { registerPanels, targetOf } from './panels/panels';
import { toCsv, toJson } from './exportAssignments';
import { registerCurationCommands } from './curationCommands';
import { bytesOfName, displayName, fsPathOf, hasEscapedBytes } from '../runfolder/fileNames';
import { readImageNames } from '../runfolder/imageNames';
import { listCheckpoints } from '../runfolder/checkpoints';
import { RUN_FILES, RUN_STATE_GLOB, runDirOfCheckpoint } from '../runfolder/layout';
import { isRunDir } from '../runfolder/manifest';
import type { RunSummary } from '../runfolder/runs';
import { RunManager, trainerCommand, type ManagedRun, type TrainerLaunch } from './runManager';
import { RunsTreeProvider } from './runsTree';
import { runsRoots, setting } from './settings';
import { describeProgress } from './trainerEvents';
import { pickChoices, pickData, showProgress, startTraining } from './trainFlow';
import { PYTORCH_VIEW_TYPE, PytorchEditorProvider } from './pytorchEditor';
import { registerPretrainedCommands } from './pretrainedCommands';
import type { TreeNode } from './treeModel';
import { blockedReason } from './trust';

let manager: RunManager | undefined;

function launchFor(context: vscode.ExtensionContext): TrainerLaunch {
  const node = setting('nodePath', '');
  return {
    // VS Code's own binary runs as Node with ELECTRON_RUN_AS_NODE; a system node when native backends need it.
    nodePath: node || process.execPath,
    cliPath: context.asAbsolutePath(join('dist', 'trainer', 'cli.js')),
    hostPath: context.asAbsolutePath(join('dist', 'trainerHost.js')),
    cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
  };
}

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('DeepCluster', { log: true });
  const launch = launchFor(context);
  const mgr = (manager = new RunManager({ launch }));
  const extraRunsKey = 'deepcluster.openedRuns';
  const roots = () => runsRoots(context.globalStorageUri);
  const tree = new RunsTreeProvider(
    roots,
    () => context.workspaceState.get<string[]>(extraRunsKey, []),
    (dir) => mgr.get(dir)?.progress,
  );
  const view = vscode.window.createTreeView('deepcluster.runs', { treeDataProvider: tree, showCollapseAll: true });
  const status = vscode.window.createStatusBarItem('deepcluster.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'DeepCluster training';
  status.command = 'deepcluster.runs.focus';
  context.subscriptions.push(output, view, status, { dispose: () => void mgr.dispose() });

  const updateStatus = () => {
    const active = mgr.list().filter((r) => !r.exit);
    if (active.length === 0) return status.hide();
    const r = active.at(-1)!;
    status.text = `$(sync~spin) DeepCluster ${describeProgress(r.progress)}${active.length > 1 ? ` (+${active.length - 1})` : ''}`;
    status.tooltip = active.map((a) => `${basename(a.runDir)}: ${describeProgress(a.progress)}`).join('\n');
    status.show();
  };
  let refreshTimer: NodeJS.Timeout | undefined;
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => tree.refresh(), 300);
  };

  mgr.onLog((run, line) => output.info(`[${basename(run.runDir)}] ${line}`));
  mgr.onEvent((run, e) => {
    const name = basename(run.runDir);
    if (e.type === 'epoch')
      output.info(
        `[${name}] epoch ${e.metrics.epoch}: loss ${e.metrics.loss.toFixed(4)}${e.metrics.nmiPrev !== undefined ? ` NMI(t,t-1) ${e.metrics.nmiPrev.toFixed(3)}` : ''}${e.metrics.nmiLabels !== undefined ? ` NMI ${e.metrics.nmiLabels.toFixed(3)}` : ''}`,
      );
    else if (e.type === 'start')
      output.info(
        `[${name}] ${e.images} images, epochs ${e.startEpoch}..${e.epochs - 1}, backend ${e.engine.backend} on ${e.engine.device}`,
      );
    else if (e.type === 'warning') output.warn(`[${name}] ${e.message}`);
    else if (e.type === 'error') output.error(`[${name}] ${e.message}`);
    else output.debug(`[${name}] ${JSON.stringify(e)}`);
    if (e.type === 'error') void showError(`DeepCluster run ${name} failed: ${e.message}`);
    updateStatus();
    if (e.type === 'checkpoint' || e.type === 'start' || e.type === 'done' || e.type === 'stopped') refreshSoon();
  });
  mgr.onExit((run, exit) => {
    const name = basename(run.runDir);
    output.info(`[${name}] trainer exited (code ${exit.code}, signal ${exit.signal})`);
    const reported = run.events.some((e) => e.type === 'error');
    if (run.owned && !run.stopRequested && exit.code !== 0 && !reported)
      void showError(`DeepCluster run ${name} ended unexpectedly (exit code ${exit.code ?? exit.signal}).`);
    else if (run.progress.finished === 'done')
      void vscode.window
        .showInformationMessage(`DeepCluster run ${name} finished.`, 'Show Run')
        .then((a) => a && vscode.commands.executeCommand('deepcluster.runs.focus'));
    updateStatus();
    refreshSoon();
  });
  const showError = async (message: string) => {
    if ((await vscode.window.showErrorMessage(message, 'Show log')) === 'Show log') output.show();
  };

  // Runs folders change under us (the trainer writes checkpoints; runs from a terminal appear).
  for (const root of roots()) {
    const w = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(root), RUN_STATE_GLOB),
    );
    w.onDidChange(refreshSoon);
    w.onDidCreate(refreshSoon);
    w.onDidDelete(refreshSoon);
    context.subscriptions.push(w);
  }

  // biome-ignore lint/suspicious/noExplicitAny: a command handler takes whatever VS Code or a menu passes it.
  const register = (id: string, fn: (...args: any[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        const reason = blockedReason(id, vscode.workspace.isTrusted);
        if (reason) {
          if ((await vscode.window.showWarningMessage(reason, 'Manage Workspace Trust')) === 'Manage Workspace Trust')
            await vscode.commands.executeCommand('workbench.trust.manage');
          return;
        }
        try {
          return await fn(...args);
        } catch (err) {
          output.error(`${id}: ${(err as Error).stack ?? err}`);
          await showError(`DeepCluster: ${(err as Error).message}`);
        }
      }),
    );

  const train = async (data: string | null | undefined) => {
    if (data === undefined) data = await pickData();
    if (data === undefined) return;
    const root = roots()[0]!;
    const choices = await pickChoices(data, root);
    if (!choices) return;
    const run = startTraining(mgr, choices);
    output.info(
      `[${basename(run.runDir)}] started: ${trainerCommand(launch, []).args.join(' ')} ${JSON.stringify(choices)}`,
    );
    showProgress(mgr, run, `DeepCluster: training ${basename(run.runDir)}`);
    updateStatus();
    refreshSoon();
  };
  register('deepcluster.train', () => train(undefined));
  register('deepcluster.trainFolder', (uri?: vscode.Uri) => train(uri?.fsPath));
  register('deepcluster.trainSample', () => train(null));

  const runDirOf = async (
    node: TreeNode | undefined,
    want: (r: RunSummary) => boolean,
    placeHolder: string,
  ): Promise<string | undefined> => {
    if (node && node.kind === 'run') return node.run.dir;
    const runs = tree.currentRuns().filter(want);
    if (runs.length === 0) return void vscode.window.showInformationMessage(`DeepCluster: no run to ${placeHolder}.`);
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({
        label: r.id,
        description: `${r.state} · ${r.epochsDone}/${r.epochsTotal}`,
        detail: r.dir,
        dir: r.dir,
      })),
      { placeHolder: `Run to ${placeHolder}` },
    );
    return pick?.dir;
  };
  register('deepcluster.stop', async (node?: TreeNode) => {
    const dir = await runDirOf(node, (r) => r.state === 'running' || mgr.isActive(r.dir), 'stop');
    if (!dir) return;
    if (!mgr.get(dir)) mgr.attach(dir);
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `DeepCluster: stopping ${basename(dir)} (writing a checkpoint)…`,
      },
      () => mgr.stop(dir),
    );
  });
  register('deepcluster.resume', async (node?: TreeNode) => {
    const dir = await runDirOf(
      node,
      (r) => r.state !== 'running' && r.state !== 'finished' && !mgr.isActive(r.dir),
      'resume',
    );
    if (!dir) return;
    const run = mgr.start(dir, ['resume', dir]);
    showProgress(mgr, run, `DeepCluster: resuming ${basename(dir)}`);
    updateStatus();
  });
  register('deepcluster.openRun', async () => {
    const uris = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: 'Open Run',
    });
    const dir = uris?.[0]?.fsPath;
    if (!dir) return;
    if (!isRunDir(dir))
      return void vscode.window.showWarningMessage(
        `${dir} is not a DeepCluster run folder (no ${RUN_FILES.manifest}).`,
      );
    const list = context.workspaceState.get<string[]>(extraRunsKey, []);
    if (!list.includes(dir)) await context.workspaceState.update(extraRunsKey, [...list, dir]);
    mgr.attach(dir);
    tree.refresh();
  });
  register('deepcluster.refresh', () => tree.refresh());
  // Member images in the tree open in VS Code's image preview (only paths from the run's images.txt reach here).
  register('deepcluster.openImage', (path?: string) => {
    if (typeof path !== 'string') return;
    // VS Code opens files by string paths: a name holding bytes that are not UTF-8 cannot be named that way.
    if (hasEscapedBytes(path))
      return void vscode.window.showInformationMessage(
        `DeepCluster: VS Code cannot open ${displayName(path)}: its name is not valid UTF-8.`,
      );
    if (existsSync(fsPathOf(path))) return vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path));
  });
  register('deepcluster.openCheckpoint', (path?: string | TreeNode) => {
    const p = typeof path === 'string' ? path : path?.kind === 'checkpoint' ? path.ckpt.manifestPath : undefined;
    if (p) return vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(p), CHECKPOINT_VIEW_TYPE);
  });

  const checkpointOf = async (arg: unknown): Promise<string | undefined> => {
    if (typeof arg === 'string') return arg;
    const node = arg as TreeNode | undefined;
    if (node?.kind === 'checkpoint' || node?.kind === 'cluster') return node.ckpt.manifestPath;
    if (node?.kind === 'run') return node.run.checkpoints.at(-1)?.manifestPath;
    const all = tree.currentRuns().flatMap((r) =>
      listCheckpoints(r.dir).map((c) => ({
        label: `${r.id} · epoch ${c.epoch}`,
        detail: c.dir,
        path: c.manifestPath,
      })),
    );
    if (all.length === 0) return void vscode.window.showInformationMessage('DeepCluster: no checkpoints yet.');
    return (await vscode.window.showQuickPick(all.reverse(), { placeHolder: 'Checkpoint' }))?.path;
  };
  register('deepcluster.exportAssignments', async (arg?: unknown) => {
    const path = await checkpointOf(arg);
    const view = path ? readCheckpoint(path) : undefined;
    if (!path || !view) return;
    const format = await vscode.window.showQuickPick(['CSV', 'JSON'], { placeHolder: 'Export format' });
    if (!format) return;
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(view.dir, `assignments.${format.toLowerCase()}`)),
      filters: { [format]: [format.toLowerCase()] },
    });
    if (!target) return;
    const names = readImageNames(runDirOfCheckpoint(view.dir));
    // CSV carries each name's own bytes (a name that is not UTF-8 still names its file); JSON escapes them.
    writeFileSync(target.fsPath, format === 'CSV' ? bytesOfName(toCsv(view, names)) : toJson(view, names));
    void vscode.window.showInformationMessage(
      `Exported ${view.assignments?.length ?? 0} assignments to ${target.fsPath}`,
    );
  });

  registerCurationCommands(context, launch, () => tree.refresh(), output);
  register('deepcluster.setupGpu', () => setupGpu(launch, output));
  registerPretrainedCommands({
    context,
    manager: mgr,
    runsRoot: () => roots()[0]!,
    output,
    register,
    onStarted: () => {
      updateStatus();
      refreshSoon();
    },
  });
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(
      PYTORCH_VIEW_TYPE,
      new PytorchEditorProvider(context.extensionUri, launch),
      { supportsMultipleEditorsPerDocument: true },
    ),
  );
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(
      CHECKPOINT_VIEW_TYPE,
      new CheckpointEditorProvider(context.extensionUri),
      { supportsMultipleEditorsPerDocument: true },
    ),
  );
  // The webview panels (cluster grid, filters, curves): commands and serializers.
  const pickRunDir = async () => await runDirOf(undefined, () => true, 'show');
  registerPanels(context, { launch, manager: mgr, output, pickRun: pickRunDir }, async (kind) => {
    if (kind === 'curves') {
      const dir = await pickRunDir();
      return dir ? { runDir: dir } : undefined;
    }
    return targetOf(await checkpointOf(undefined));
  });
  void reattach(mgr, tree);
}

/** After a reload: follow trainers that still run, and offer Resume for runs whose trainer is gone. */
async function reattach(mgr: RunManager, tree: RunsTreeProvider): Promise<void> {
  const runs = tree.currentRuns();
  const attached: ManagedRun[] = [];
  for (const r of runs)
    if (r.state === 'running') {
      const a = mgr.attach(r.dir);
      if (a) attached.push(a);
    }
  const interrupted = runs.filter((r) => r.state === 'interrupted' && r.checkpoints.length > 0);
  if (interrupted.length && vscode.workspace.isTrusted) {
    const r = interrupted[0]!;
    const more = interrupted.length > 1 ? ` (and ${interrupted.length - 1} more)` : '';
    const a = await vscode.window.showInformationMessage(
      `DeepCluster run ${r.id} was interrupted after ${r.epochsDone} of ${r.epochsTotal} epochs${more}.`,
      'Resume',
    );
    if (a === 'Resume') await vscode.commands.executeCommand('deepcluster.resume', { kind: 'run', run: r });
  }
  if (attached.length) tree.refresh();
}

/** Runs `deepcluster setup-gpu`, streaming its output to the log, and reports the outcome in one message. */
function setupGpu(launch: TrainerLaunch, output: vscode.LogOutputChannel): Thenable<void> {
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: 'DeepCluster: setting up the GPU backend',
      cancellable: true,
    },
    (progress, token) =>
      new Promise<void>((resolve) => {
        const cmd = trainerCommand(launch, ['setup-gpu']);
        const child = spawn(cmd.file, cmd.args, { env: cmd.env, cwd: launch.cwd, shell: false, windowsHide: true });
        let last = '';
        const onData = (d: Buffer) => {
          for (const line of d.toString('utf8').split(/\r?\n/).filter(Boolean)) {
            output.info(`[setup-gpu] ${line}`);
            last = line;
            progress.report({ message: line.slice(0, 120) });
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        token.onCancellationRequested(() => child.kill('SIGTERM'));
        child.on('error', (err) => {
          void vscode.window.showErrorMessage(`DeepCluster: could not run setup-gpu: ${err.message}`);
          resolve();
        });
        child.on('close', async (code) => {
          if (code === 0) void vscode.window.showInformationMessage(`DeepCluster GPU setup: ${last || 'done'}`);
          else if (
            (await vscode.window.showErrorMessage(
              `DeepCluster GPU setup did not complete: ${last || `exit code ${code}`}`,
              'Show log',
            )) === 'Show log'
          )
            output.show();
          resolve();
        });
      }),
  );
}

/** Ends every trainer this window started (SIGTERM, then SIGKILL), so none outlives the window. */
export async function deactivate(): Promise<void> {
  await manager?.dispose();
  manager = undefined;
}
