// The webview panels in VS Code: commands that open them, WebviewPanelSerializers that bring them back
// after a reload, and the wiring of each panel's model (vscode-free, next to this file) to its webview:
// narrow localResourceRoots, nonce-only CSP page with the initial state embedded, validated messages,
// live pushes from the run manager and from events.jsonl, save dialogs for exports, spawned analysis commands.
import { unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { VIEW_TYPES, type HostMessage, type PanelKind } from '../../protocol/webview';
import {
  checkpointDir,
  checkpointEpoch,
  checkpointFile,
  isCheckpointManifest,
  runDirOfCheckpoint,
  runFile,
} from '../../runfolder/layout';
import { isRunDir } from '../../runfolder/manifest';
import type { RunManager, TrainerLaunch } from '../runManager';
import type { TreeNode } from '../treeModel';
import { runAnalysis, type AnalysisRun } from './analysisRunner';
import { CurvesModel, runSeries } from './curvesModel';
import { dispatch, type Handler } from './dispatch';
import { FiltersModel } from './filtersModel';
import { GridModel, type ThumbJob } from './gridModel';
import { MapModel } from './mapModel';
import { panelHtml } from './html';
import { checkpointEpochs, panelRoots, THUMB_SIZE } from './runPaths';

export interface PanelServices {
  launch: TrainerLaunch;
  manager: RunManager;
  output: vscode.LogOutputChannel;
  /** Asks the user for a run folder (curves: Add run). */
  pickRun(): Promise<string | undefined>;
}

const commands: Record<PanelKind, string> = {
  clusterGrid: 'deepcluster.showClusterGrid',
  curves: 'deepcluster.showCurves',
  filters: 'deepcluster.visualizeFilters',
  embeddingMap: 'deepcluster.showEmbeddingMap',
};
const TITLES: Record<PanelKind, string> = {
  clusterGrid: 'Clusters',
  filters: 'Filters',
  curves: 'Training Curves',
  embeddingMap: 'Embedding Map',
};

/** Where the panel starts: a run, and for grid/filters a checkpoint epoch and maybe a cluster to open. */
interface Target {
  runDir: string;
  epoch?: number;
  cluster?: number;
}

/** checkpoint.json path, tree node or run folder -> run folder and epoch. */
export function targetOf(arg: unknown): Target | undefined {
  const node = arg as TreeNode | undefined;
  const fromCheckpointDir = (dir: string): Target => ({
    runDir: runDirOfCheckpoint(dir),
    epoch: checkpointEpoch(basename(dir)),
  });
  if (typeof arg === 'string') {
    if (isCheckpointManifest(arg)) return fromCheckpointDir(dirname(arg));
    return isRunDir(arg) ? { runDir: arg } : undefined;
  }
  if (node?.kind === 'run') return { runDir: node.run.dir };
  if (node?.kind === 'checkpoint') return fromCheckpointDir(node.ckpt.dir);
  if (node?.kind === 'cluster' || node?.kind === 'member' || node?.kind === 'more')
    return { ...fromCheckpointDir(node.ckpt.dir), cluster: node.cluster.index };
  return undefined;
}

/** "1,2,3,7,9,10" -> "1-3,7,9-10" (the trainer's index-list syntax). */
export function indexRanges(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function registerPanels(
  context: vscode.ExtensionContext,
  services: PanelServices,
  pickTarget: (kind: PanelKind) => Promise<Target | undefined>,
): void {
  const extensionDir = context.extensionUri.fsPath;

  const setup = (
    kind: PanelKind,
    panel: vscode.WebviewPanel,
    target: Target,
    ui: Record<string, unknown> | undefined,
  ) => {
    const roots = panelRoots(extensionDir, target.runDir);
    panel.webview.options = { enableScripts: true, localResourceRoots: roots.map((r) => vscode.Uri.file(r)) };
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'deepcluster.svg');
    const webviewUri = (p: string) => panel.webview.asWebviewUri(vscode.Uri.file(p)).toString();
    const disposables: vscode.Disposable[] = [];
    const running = new Map<number, AnalysisRun>();
    const post = (m: HostMessage) => void panel.webview.postMessage(m);
    const log = (line: string) => services.output.debug(`[${kind}] ${line}`);
    const save = async (defaultName: string, content: string | Buffer) => {
      const ext = defaultName.split('.').pop()!;
      const uri = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(join(target.runDir, defaultName)),
        filters: { [ext.toUpperCase()]: [ext] },
      });
      if (!uri) return undefined;
      writeFileSync(uri.fsPath, content);
      void vscode.window.showInformationMessage(`DeepCluster: exported ${basename(uri.fsPath)}`);
      return uri.fsPath;
    };
    const checkpointDirOf = (epoch: number) => checkpointDir(target.runDir, epoch);
    const analysis = async (
      args: string[],
      progress: (d: number, t: number, m?: string) => void,
      requestId?: number,
    ) => {
      const run = runAnalysis(services.launch, args, progress, log);
      if (requestId !== undefined) running.set(requestId, run);
      try {
        await run.done;
      } finally {
        if (requestId !== undefined) running.delete(requestId);
      }
    };
    const makeThumbs = async (job: ThumbJob, progress: (d: number, t: number) => void) => {
      const base = ['thumbs', checkpointDirOf(job.epoch), '--size', String(THUMB_SIZE)];
      if ('by' in job)
        return analysis(
          [...base, '--clusters', `0-${job.k - 1}`, '--per-cluster', String(job.perCluster), '--by', job.by],
          progress,
        );
      // One command line stays short: at most a few thousand indices, written as ranges, per trainer run.
      for (let i = 0; i < job.indices.length; i += 4000)
        await analysis([...base, '--indices', indexRanges(job.indices.slice(i, i + 4000))], progress);
    };

    /** The user's choice of ImageFolder (symlinks or copies) or CSV and where, then `deepcluster export`. */
    const exportCurated = async (
      epoch: number,
      progress: (d: number, t: number) => void,
    ): Promise<string | undefined> => {
      const pick = await vscode.window.showQuickPick(
        [
          {
            label: 'Image folder, symlinks',
            description: 'one folder per cluster name, links to the original files',
            format: 'imagefolder',
            mode: 'symlink',
          },
          {
            label: 'Image folder, copies',
            description: 'one folder per cluster name, copies of the files',
            format: 'imagefolder',
            mode: 'copy',
          },
          { label: 'CSV', description: 'index, path, cluster, label', format: 'csv', mode: 'symlink' },
        ],
        { title: 'Export the curated clusters (junk left out)' },
      );
      if (!pick) return undefined;
      let out: string | undefined;
      if (pick.format === 'csv') {
        out = (
          await vscode.window.showSaveDialog({
            defaultUri: vscode.Uri.file(join(target.runDir, `curated-epoch-${epoch}.csv`)),
            filters: { CSV: ['csv'] },
          })
        )?.fsPath;
      } else {
        const parent = (
          await vscode.window.showOpenDialog({
            canSelectFolders: true,
            canSelectFiles: false,
            openLabel: 'Export here',
            title: 'Folder to create the labelled image folder in',
          })
        )?.[0]?.fsPath;
        out = parent && join(parent, `${basename(target.runDir)}-curated-epoch-${epoch}`);
      }
      if (!out) return undefined;
      await analysis(
        ['export', target.runDir, '--epoch', String(epoch), '--out', out, '--format', pick.format, '--mode', pick.mode],
        progress,
      );
      void vscode.window.showInformationMessage(`DeepCluster: exported the curated clusters to ${out}`);
      return out;
    };

    let handle: Handler;
    let initial: unknown;
    let onNewEpoch: () => void = () => undefined;
    if (kind === 'embeddingMap') {
      const model = new MapModel({
        runDir: target.runDir,
        webviewUri,
        save,
        makeThumbs,
        compute: (job, progress) =>
          analysis(['map', checkpointDirOf(job.epoch), '--method', job.method], progress, job.requestId),
        cancel: (id) => {
          const r = running.get(id);
          r?.cancel();
          return !!r;
        },
      });
      initial = model.init(target.epoch, ui);
      handle = (req, progress) => model.handle(req as never, progress);
      onNewEpoch = () => post({ type: 'checkpoints', checkpoints: checkpointEpochs(target.runDir) });
    } else if (kind === 'clusterGrid') {
      const model = new GridModel({
        runDir: target.runDir,
        webviewUri,
        save,
        makeThumbs,
        exportCurated: (epoch, _format, progress) => exportCurated(epoch, progress),
        openMap: (epoch) =>
          void vscode.commands.executeCommand(
            commands.embeddingMap,
            checkpointFile(checkpointDirOf(epoch), 'manifest'),
          ),
      });
      initial = model.init(target.epoch, {
        ...ui,
        ...(target.cluster !== undefined ? { detail: target.cluster } : {}),
      });
      handle = (req, progress) => model.handle(req as never, progress);
      onNewEpoch = () => post({ type: 'checkpoints', checkpoints: checkpointEpochs(target.runDir) });
    } else if (kind === 'filters') {
      const model = new FiltersModel({
        runDir: target.runDir,
        webviewUri,
        makeThumbs,
        visualize: (job, progress) =>
          analysis(
            ['visualize', checkpointDirOf(job.epoch), '--layer', job.layer, '--filters', `${job.from}-${job.to}`],
            progress,
            job.requestId,
          ),
        cancel: (id) => {
          const r = running.get(id);
          r?.cancel();
          return !!r;
        },
      });
      initial = model.init(target.epoch, ui);
      handle = (req, progress) => model.handle(req as never, progress);
      onNewEpoch = () => post({ type: 'checkpoints', checkpoints: checkpointEpochs(target.runDir) });
    } else {
      const runDirs = [
        target.runDir,
        ...(((ui as { runDirs?: unknown })?.runDirs as string[] | undefined) ?? []).filter(
          (d) => typeof d === 'string' && isRunDir(d),
        ),
      ];
      const model = new CurvesModel(
        { pickRun: services.pickRun, save, isLive: (d) => services.manager.isActive(d) },
        runDirs,
      );
      initial = model.init((ui as { ui?: Record<string, unknown> })?.ui ?? ui);
      handle = async (req) => {
        const r = await model.handle(req as never);
        watchRuns(model.runDirs);
        return r;
      };
      // Live: every run shown is followed through its events.jsonl (covers runs trained from a terminal too).
      const watched = new Set<string>();
      const pushRun = (d: string) => post({ type: 'runSeries', run: runSeries(d, services.manager.isActive(d)) });
      const watchRuns = (dirs: string[]) => {
        for (const d of dirs) {
          if (watched.has(d)) continue;
          watched.add(d);
          const f = runFile(d, 'events');
          watchFile(f, { interval: 1000 }, () => pushRun(d));
          disposables.push({ dispose: () => unwatchFile(f) });
        }
      };
      watchRuns(model.runDirs);
      disposables.push({
        dispose: services.manager.onEvent(
          (run, e) => e.type === 'epoch' && model.runDirs.includes(run.runDir) && pushRun(run.runDir),
        ),
      });
      // Hidden webviews miss messages: repaint every series when the panel shows again.
      disposables.push(panel.onDidChangeViewState(() => panel.visible && model.runDirs.forEach(pushRun)));
    }
    if (kind !== 'curves') {
      disposables.push({
        dispose: services.manager.onEvent(
          (run, e) => e.type === 'checkpoint' && run.runDir === target.runDir && onNewEpoch(),
        ),
      });
      disposables.push(panel.onDidChangeViewState(() => panel.visible && onNewEpoch()));
    }
    panel.title = `${TITLES[kind]}: ${basename(target.runDir)}`;
    panel.webview.html = panelHtml({
      title: panel.title,
      cspSource: panel.webview.cspSource,
      scriptUri: webviewUri(join(extensionDir, 'dist', 'webview', `${kind}.js`)),
      styleUri: webviewUri(join(extensionDir, 'dist', 'webview', `${kind}.css`)),
      initial,
    });
    disposables.push(panel.webview.onDidReceiveMessage((raw: unknown) => dispatch(kind, raw, handle, { post, log })));
    panel.onDidDispose(() => {
      for (const r of running.values()) r.cancel();
      for (const d of disposables) d.dispose();
    });
  };

  const open = async (kind: PanelKind, arg: unknown) => {
    const target = targetOf(arg) ?? (await pickTarget(kind));
    if (!target) return;
    if (kind !== 'curves' && checkpointEpochs(target.runDir).length === 0)
      return void vscode.window.showInformationMessage(
        `DeepCluster: ${basename(target.runDir)} has no checkpoint yet.`,
      );
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES[kind], TITLES[kind], vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [],
    });
    setup(kind, panel, target, undefined);
  };

  for (const kind of Object.keys(VIEW_TYPES) as PanelKind[]) {
    context.subscriptions.push(
      vscode.commands.registerCommand(commands[kind], (arg?: unknown) =>
        open(kind, arg).catch((e: Error) => vscode.window.showErrorMessage(`DeepCluster: ${e.message}`)),
      ),
    );
    // After a reload VS Code hands back the panel with what the webview saved through setState.
    context.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPES[kind], {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
          const s = (state ?? {}) as {
            runDir?: unknown;
            runDirs?: unknown;
            epoch?: unknown;
            ui?: Record<string, unknown>;
          };
          const runDir =
            typeof s.runDir === 'string'
              ? s.runDir
              : Array.isArray(s.runDirs) && typeof s.runDirs[0] === 'string'
                ? s.runDirs[0]
                : undefined;
          if (!runDir || !isRunDir(runDir)) {
            panel.webview.html = `<!DOCTYPE html><html><body><p>This DeepCluster run is no longer available.</p></body></html>`;
            return;
          }
          const epoch =
            typeof s.epoch === 'number'
              ? s.epoch
              : typeof s.ui?.epoch === 'number'
                ? (s.ui.epoch as number)
                : undefined;
          const ui = kind === 'curves' ? { runDirs: (s.runDirs as string[]).slice(1), ui: s.ui } : s.ui;
          setup(kind, panel, { runDir, epoch }, ui);
        },
      }),
    );
  }
}
