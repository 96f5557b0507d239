// The shared vscode stub plus what the panel hosts touch (webview panels, serializers, commands, dialogs), with
// every registration recorded so tests can drive a serializer or a panel's message listener.
export * from './vscode';
import { Uri as BaseUri } from './vscode';

export const recorded = {
  serializers: new Map<string, { deserializeWebviewPanel(panel: unknown, state: unknown): Promise<void> }>(),
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  saveDialogs: [] as unknown[],
};

export const Uri = Object.assign(BaseUri, {
  joinPath: (base: { fsPath: string }, ...parts: string[]) => BaseUri.file([base.fsPath, ...parts].join('/')),
});

export enum ViewColumn {
  Active = -1,
  One = 1,
}

export const window = {
  registerWebviewPanelSerializer: (
    viewType: string,
    s: { deserializeWebviewPanel(panel: unknown, state: unknown): Promise<void> },
  ) => {
    recorded.serializers.set(viewType, s);
    return { dispose: () => recorded.serializers.delete(viewType) };
  },
  showSaveDialog: async (o: unknown) => (recorded.saveDialogs.push(o), undefined),
  showInformationMessage: async () => undefined,
  showErrorMessage: async () => undefined,
};

export const commands = {
  registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
    recorded.commands.set(id, fn);
    return { dispose: () => recorded.commands.delete(id) };
  },
};

/** A webview panel as far as the hosts use it; `receive` plays a message from the page. */
export function fakePanel() {
  const listeners: ((m: unknown) => unknown)[] = [];
  const posted: any[] = [];
  const panel = {
    title: '',
    iconPath: undefined as unknown,
    visible: true,
    webview: {
      html: '',
      options: {} as { enableScripts?: boolean; localResourceRoots?: { fsPath: string }[] },
      cspSource: 'https://file+.vscode-resource.test',
      asWebviewUri: (u: { fsPath: string }) => ({ toString: () => `https://file+.vscode-resource.test${u.fsPath}` }),
      postMessage: async (m: unknown) => (posted.push(m), true),
      onDidReceiveMessage: (l: (m: unknown) => unknown) => (listeners.push(l), { dispose: () => undefined }),
    },
    onDidDispose: () => ({ dispose: () => undefined }),
    onDidChangeViewState: () => ({ dispose: () => undefined }),
    posted,
    receive: async (m: unknown) => {
      for (const l of listeners) await l(m);
    },
  };
  return panel;
}
