// The webview's side of the protocol (src/protocol/webview.ts): requests with ids resolved by the host's
// responses, progress per request, pushes, persisted UI state. acquireVsCodeApi may be called only once.
import { INITIAL_STATE_ID, type HostMessage, type ResponseBody, type WebviewRequest } from '../../src/protocol/webview';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type Push = Exclude<HostMessage, { type: 'response' } | { type: 'progress' }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const api = acquireVsCodeApi();
let nextId = 1;
const pending = new Map<
  number,
  {
    resolve: (v: never) => void;
    reject: (e: Error) => void;
    progress?: (done: number, total: number, message?: string) => void;
  }
>();
const pushListeners: ((m: Push) => void)[] = [];

window.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as HostMessage;
  if (!m || typeof m !== 'object') return;
  if (m.type === 'response') {
    const p = pending.get(m.requestId);
    if (!p) return;
    pending.delete(m.requestId);
    if (m.ok)
      p.resolve(m.body as never); // the body of this request's own response type
    else p.reject(new Error(m.error));
  } else if (m.type === 'progress') pending.get(m.requestId)?.progress?.(m.done, m.total, m.message);
  else for (const l of pushListeners) l(m);
});

/** Sends a request; resolves with the host's typed answer. The returned id can be cancelled (filters). */
export function request<R extends WebviewRequest>(
  msg: DistributiveOmit<R, 'requestId'>,
  onProgress?: (done: number, total: number, message?: string) => void,
): { id: number; done: Promise<ResponseBody<R>> } {
  const id = nextId++;
  const done = new Promise<ResponseBody<R>>((resolve, reject) =>
    pending.set(id, { resolve, reject, progress: onProgress }),
  );
  api.postMessage({ ...msg, requestId: id });
  return { id, done };
}

export function onPush(l: (m: Push) => void): void {
  pushListeners.push(l);
}

export function ready(): void {
  api.postMessage({ type: 'ready' });
}

/** The state the host embedded in the page, merged with what this webview saved before a reload. */
export function initialState<T>(): T {
  const el = document.getElementById(INITIAL_STATE_ID);
  return JSON.parse(el?.textContent || '{}') as T;
}

export function savedState<T>(): T | undefined {
  return (api.getState() as T | undefined) ?? undefined;
}

export function saveState(state: unknown): void {
  api.setState(state);
}
