// One incoming webview message, end to end: validate, run the panel's handler, answer with exactly one response
// (and progress before it). No vscode: the host wires `post` to webview.postMessage; the tests call it directly.
import type { HostMessage, PanelKind, WebviewRequest } from '../../protocol/webview';
import { InvalidMessage, requestIdOf, validateMessage } from './validate';

export type Handler = (
  req: WebviewRequest,
  progress: (done: number, total: number, message?: string) => void,
) => Promise<unknown>;

export interface DispatchHooks {
  post(msg: HostMessage): void;
  onReady?(): void;
  /** Invalid messages and handler failures, for the log. */
  log?(message: string): void;
}

export async function dispatch(kind: PanelKind, raw: unknown, handle: Handler, hooks: DispatchHooks): Promise<void> {
  let msg: ReturnType<typeof validateMessage>;
  try {
    msg = validateMessage(kind, raw);
  } catch (e) {
    const id = requestIdOf(raw);
    hooks.log?.(`${kind}: rejected message: ${(e as Error).message}`);
    if (id !== undefined) hooks.post({ type: 'response', requestId: id, ok: false, error: (e as Error).message });
    return;
  }
  if (msg.type === 'ready') return hooks.onReady?.();
  const req = msg;
  try {
    const body = await handle(req, (done, total, message) =>
      hooks.post({ type: 'progress', requestId: req.requestId, done, total, message }),
    );
    hooks.post({ type: 'response', requestId: req.requestId, ok: true, body });
  } catch (e) {
    const error = e instanceof InvalidMessage ? e.message : ((e as Error).message ?? String(e));
    hooks.log?.(`${kind}: ${req.type} failed: ${error}`);
    hooks.post({ type: 'response', requestId: req.requestId, ok: false, error });
  }
}
