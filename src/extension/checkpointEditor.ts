// Read-only custom editor for checkpoints/epoch-NNNN/checkpoint.json: config, backend, metrics sparklines,
// cluster-size histogram, architecture, and buttons into the panels.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { readCheckpoint } from './checkpointData';
import { renderInspector, esc } from './checkpointHtml';
import { epochMetrics, readEvents } from '../runfolder/events';
import { runDirOfCheckpoint } from '../runfolder/layout';
import { peekRunManifest } from '../runfolder/manifest';

export const CHECKPOINT_VIEW_TYPE = 'deepcluster.checkpoint';

/** Panel commands the inspector's buttons run, with the checkpoint.json path as argument. */
export const PANEL_COMMANDS: Record<string, string> = {
  clusterGrid: 'deepcluster.showClusterGrid',
  curves: 'deepcluster.showCurves',
  filters: 'deepcluster.visualizeFilters',
};

export class CheckpointEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly extensionUri: vscode.Uri) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [media] };
    const render = () => {
      const view = readCheckpoint(document.uri.fsPath);
      const nonce = randomBytes(16).toString('base64');
      if (!view) {
        panel.webview.html = `<!DOCTYPE html><html><body><p>Not a readable DeepCluster checkpoint: ${esc(document.uri.fsPath)}</p></body></html>`;
        return;
      }
      const runDir = runDirOfCheckpoint(view.dir);
      const history = epochMetrics(readEvents(runDir).events).filter((m) => m.epoch <= view.manifest.epoch);
      panel.webview.html = renderInspector({
        view,
        run: peekRunManifest(runDir),
        history,
        nonce,
        cspSource: panel.webview.cspSource,
        styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'inspector.css')).toString(),
      });
    };
    render();
    panel.webview.onDidReceiveMessage(async (msg: { type?: string; panel?: string }) => {
      if (msg?.type !== 'openPanel' || !msg.panel) return;
      const command = PANEL_COMMANDS[msg.panel];
      if (command) await vscode.commands.executeCommand(command, document.uri.fsPath);
    });
  }
}
