// The "Runs" TreeView: runs -> checkpoints -> clusters -> member images. The model (labels, icons, menus) is in
// treeModel.ts; this class adds caching, refresh and the vscode TreeItem conversion.
import { statSync } from 'node:fs';
import * as vscode from 'vscode';
import { readCheckpoint, type CheckpointView } from './checkpointData';
import type { CheckpointRef } from '../runfolder/checkpoints';
import { listRuns, readRun, type RunSummary } from '../runfolder/runs';
import { childrenOf, specOf, type TreeNode } from './treeModel';
import type { RunProgress } from './trainerEvents';

export class RunsTreeProvider implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly cache = new Map<string, { mtime: number; view: CheckpointView | undefined }>();
  private runs: RunSummary[] = [];

  constructor(
    private readonly roots: () => string[],
    private readonly extraRuns: () => string[],
    private readonly live: (runDir: string) => RunProgress | undefined,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** The runs shown at the top level: every run under the runs folders, plus runs opened with "Open Run…". */
  currentRuns(): RunSummary[] {
    const seen = new Set<string>();
    const out: RunSummary[] = [];
    for (const r of [...this.roots().flatMap((root) => listRuns(root)), ...this.extraRuns().map((d) => readRun(d))]) {
      if (seen.has(r.dir)) continue;
      out.push(r);
      seen.add(r.dir);
    }
    return (this.runs = out);
  }

  load = (ckpt: CheckpointRef): CheckpointView | undefined => {
    // Checkpoints never change once complete; a folder replaced after a resume gets a new mtime.
    let mtime = 0;
    try {
      mtime = statSync(ckpt.manifestPath).mtimeMs;
    } catch {
      return undefined;
    }
    const hit = this.cache.get(ckpt.manifestPath);
    if (hit && hit.mtime === mtime) return hit.view;
    const view = readCheckpoint(ckpt.manifestPath);
    this.cache.set(ckpt.manifestPath, { mtime, view });
    return view;
  };

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.currentRuns().map((run) => ({ kind: 'run' as const, run }));
    return childrenOf(node, this.load);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const s = specOf(node, this.load, this.live);
    const item = new vscode.TreeItem(
      s.label,
      s.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = s.id;
    item.description = s.description;
    item.tooltip = s.tooltip;
    item.iconPath = new vscode.ThemeIcon(s.icon);
    item.contextValue = s.contextValue;
    if (s.resourcePath) item.resourceUri = vscode.Uri.file(s.resourcePath);
    if (s.command) item.command = { command: s.command.id, title: s.label, arguments: s.command.args };
    return item;
  }

  lastRuns(): RunSummary[] {
    return this.runs;
  }
}
