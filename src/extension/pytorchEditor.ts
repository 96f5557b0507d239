// Read-only custom editor for PyTorch checkpoints (*.pth, *.pth.tar, *.pt). The file is read by the trainer
// (`deepcluster inspect FILE --json`, our restricted unpickler: nothing in it is executed), not by the extension
// host, which stays free of tfjs.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { PytorchReportJson } from '../protocol';
import { trainerCommand, type TrainerLaunch } from './runManager';
import { renderPytorchPage } from './pytorchHtml';

export const PYTORCH_VIEW_TYPE = 'deepcluster.pytorchCheckpoint';
export const CLUSTER_WITH_PRETRAINED = 'deepcluster.clusterWithPretrained';

/** Runs `inspect FILE --json`; the report, or the trainer's one-line error. */
export function inspectPytorchFile(
  launch: TrainerLaunch,
  file: string,
): Promise<{ report?: PytorchReportJson; error?: string }> {
  const cmd = trainerCommand(launch, ['inspect', file, '--json']);
  return new Promise((resolve) => {
    execFile(
      cmd.file,
      cmd.args,
      { env: cmd.env, cwd: launch.cwd, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
      (err, stdout, stderr) => {
        if (err)
          return resolve({
            error:
              stderr
                .trim()
                .split('\n')
                .pop()
                ?.replace(/^deepcluster: /, '') || err.message,
          });
        try {
          resolve({ report: JSON.parse(stdout) as PytorchReportJson });
        } catch {
          resolve({ error: `unexpected output from deepcluster inspect: ${stdout.slice(0, 200)}` });
        }
      },
    );
  });
}

export class PytorchEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly launch: TrainerLaunch,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [media] };
    const file = document.uri.fsPath;
    const page = (r: { report?: PytorchReportJson; error?: string }) =>
      renderPytorchPage({
        ...r,
        file,
        nonce: randomBytes(16).toString('base64'),
        cspSource: panel.webview.cspSource,
        styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'inspector.css')).toString(),
      });
    panel.webview.html = page({ error: 'reading the checkpoint…' });
    panel.webview.onDidReceiveMessage(async (msg: { type?: string }) => {
      if (msg?.type === 'cluster') await vscode.commands.executeCommand(CLUSTER_WITH_PRETRAINED, file);
    });
    panel.webview.html = page(await inspectPytorchFile(this.launch, file));
  }
}
