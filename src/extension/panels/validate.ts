// Checks every message a webview sends before the host acts on it. A webview is a web page: treat what it posts
// as untrusted input. Only known types with exactly-typed, bounded fields pass; names (layers, runs) must match a
// conservative pattern, so no message field can carry a path.
import { MAP_METHODS } from '../../protocol/embeddingMap';
import {
  MAP_BATCH,
  type CurationEdit,
  type CurvesRequest,
  type FiltersRequest,
  type GridRequest,
  type MapRequest,
  type PanelKind,
  type WebviewMessage,
} from '../../protocol/webview';

export class InvalidMessage extends Error {}

type Obj = Record<string, unknown>;

const MAX_INDEX = 10_000_000;
/** Layer and run names: letters, digits, '_', '-', '.', '/' between parts, never '..' or a leading '/'. */
const NAME = /^(?!.*\.\.)(?!\/)[A-Za-z0-9_.\-/]{1,200}$/;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(m: Obj, key: string, min: number, max: number): number {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidMessage(`${key} must be an integer in [${min}, ${max}]`);
  return v;
}

function name(m: Obj, key: string): string {
  const v = m[key];
  if (typeof v !== 'string' || !NAME.test(v)) throw new InvalidMessage(`${key} is not a valid name`);
  return v;
}

function oneOf<T extends string>(m: Obj, key: string, allowed: readonly T[]): T {
  const v = m[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw new InvalidMessage(`${key} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function str(m: Obj, key: string, maxLength: number, prefix = ''): string {
  const v = m[key];
  if (typeof v !== 'string' || v.length > maxLength || !v.startsWith(prefix))
    throw new InvalidMessage(
      `${key} must be a string${prefix ? ` starting with ${prefix}` : ''} of at most ${maxLength} characters`,
    );
  return v;
}

function grid(m: Obj, requestId: number): GridRequest {
  switch (m.type) {
    case 'loadEpoch':
      return { type: 'loadEpoch', requestId, epoch: int(m, 'epoch', 0, MAX_INDEX) };
    case 'members':
      return {
        type: 'members',
        requestId,
        epoch: int(m, 'epoch', 0, MAX_INDEX),
        cluster: int(m, 'cluster', 0, MAX_INDEX),
        offset: int(m, 'offset', 0, MAX_INDEX),
        limit: int(m, 'limit', 1, 1000),
      };
    case 'follow':
      return {
        type: 'follow',
        requestId,
        epoch: int(m, 'epoch', 0, MAX_INDEX),
        cluster: int(m, 'cluster', 0, MAX_INDEX),
      };
    case 'export': {
      const c = m.clusters;
      if (!Array.isArray(c) || c.length === 0 || c.length > 100_000)
        throw new InvalidMessage('clusters must be a non-empty array');
      const clusters = c.map((_, i) => int(c as unknown as Obj, String(i), 0, MAX_INDEX));
      return {
        type: 'export',
        requestId,
        epoch: int(m, 'epoch', 0, MAX_INDEX),
        clusters,
        format: oneOf(m, 'format', ['csv', 'json'] as const),
      };
    }
    case 'thumbs':
      return {
        type: 'thumbs',
        requestId,
        epoch: int(m, 'epoch', 0, MAX_INDEX),
        view: oneOf(m, 'view', ['nearest', 'activation'] as const),
      };
    case 'openMap':
      return { type: 'openMap', requestId, epoch: int(m, 'epoch', 0, MAX_INDEX) };
    case 'curate':
      return { type: 'curate', requestId, epoch: int(m, 'epoch', 0, MAX_INDEX), edit: curationEdit(m.edit) };
    case 'exportCurated':
      return {
        type: 'exportCurated',
        requestId,
        epoch: int(m, 'epoch', 0, MAX_INDEX),
        format: oneOf(m, 'format', ['imagefolder', 'csv'] as const),
      };
  }
  throw new InvalidMessage(`unknown message type for the cluster grid: ${String(m.type)}`);
}

function curationEdit(e: unknown): CurationEdit {
  if (!isObj(e)) throw new InvalidMessage('edit must be an object');
  switch (e.action) {
    case 'rename': {
      const name = str(e, 'name', 200);
      if (/[\u0000-\u001f]/.test(name)) throw new InvalidMessage('name must not hold control characters');
      return { action: 'rename', cluster: int(e, 'cluster', 0, MAX_INDEX), name };
    }
    case 'junk':
      if (typeof e.junk !== 'boolean') throw new InvalidMessage('junk must be a boolean');
      return { action: 'junk', cluster: int(e, 'cluster', 0, MAX_INDEX), junk: e.junk };
    case 'merge':
      return { action: 'merge', clusters: indexArray(e, 'clusters', 100_000), into: int(e, 'into', 0, MAX_INDEX) };
    case 'move':
      return { action: 'move', indices: indexArray(e, 'indices', 100_000), cluster: int(e, 'cluster', 0, MAX_INDEX) };
  }
  throw new InvalidMessage(`unknown curation action: ${String(e.action)}`);
}

function filters(m: Obj, requestId: number): FiltersRequest {
  switch (m.type) {
    case 'layers':
      return { type: 'layers', requestId, epoch: int(m, 'epoch', 0, MAX_INDEX) };
    case 'visualize': {
      const from = int(m, 'from', 0, 100_000);
      const to = int(m, 'to', from, from + 255);
      return { type: 'visualize', requestId, epoch: int(m, 'epoch', 0, MAX_INDEX), layer: name(m, 'layer'), from, to };
    }
    case 'cancel':
      return { type: 'cancel', requestId, target: int(m, 'target', 0, Number.MAX_SAFE_INTEGER) };
  }
  throw new InvalidMessage(`unknown message type for the filter panel: ${String(m.type)}`);
}

function curves(m: Obj, requestId: number): CurvesRequest {
  switch (m.type) {
    case 'addRun':
      return { type: 'addRun', requestId };
    case 'removeRun':
      return { type: 'removeRun', requestId, runId: name(m, 'runId') };
    case 'exportCsv':
      return { type: 'exportCsv', requestId, csv: str(m, 'csv', 50_000_000) };
    case 'exportPng':
      return { type: 'exportPng', requestId, png: str(m, 'png', 50_000_000, 'data:image/png;base64,') };
  }
  throw new InvalidMessage(`unknown message type for the curves panel: ${String(m.type)}`);
}

function indexArray(m: Obj, key: string, max: number): number[] {
  const c = m[key];
  if (!Array.isArray(c) || c.length === 0 || c.length > max)
    throw new InvalidMessage(`${key} must be a non-empty array of at most ${max} indices`);
  return c.map((_, i) => int(c as unknown as Obj, String(i), 0, MAX_INDEX));
}

function embeddingMap(m: Obj, requestId: number): MapRequest {
  switch (m.type) {
    case 'load':
    case 'compute':
      return { type: m.type, requestId, epoch: int(m, 'epoch', 0, MAX_INDEX), method: oneOf(m, 'method', MAP_METHODS) };
    case 'cancel':
      return { type: 'cancel', requestId, target: int(m, 'target', 0, Number.MAX_SAFE_INTEGER) };
    case 'thumbs':
      return {
        type: 'thumbs',
        requestId,
        epoch: int(m, 'epoch', 0, MAX_INDEX),
        indices: indexArray(m, 'indices', MAP_BATCH),
      };
    case 'names':
      return { type: 'names', requestId, indices: indexArray(m, 'indices', MAP_BATCH) };
    case 'exportSelection':
      return {
        type: 'exportSelection',
        requestId,
        epoch: int(m, 'epoch', 0, MAX_INDEX),
        indices: indexArray(m, 'indices', MAX_INDEX),
      };
    case 'curate':
      return { type: 'curate', requestId, epoch: int(m, 'epoch', 0, MAX_INDEX), edit: curationEdit(m.edit) };
  }
  throw new InvalidMessage(`unknown message type for the embedding map: ${String(m.type)}`);
}

/** The message as a typed request of this panel, or an InvalidMessage error saying what is wrong. */
export function validateMessage(panel: PanelKind, raw: unknown): WebviewMessage {
  if (!isObj(raw) || typeof raw.type !== 'string')
    throw new InvalidMessage('a message must be an object with a string type');
  if (raw.type === 'ready') return { type: 'ready' };
  const requestId = int(raw, 'requestId', 0, Number.MAX_SAFE_INTEGER);
  if (panel === 'clusterGrid') return grid(raw, requestId);
  if (panel === 'filters') return filters(raw, requestId);
  if (panel === 'embeddingMap') return embeddingMap(raw, requestId);
  return curves(raw, requestId);
}

/** The request id of a message that failed validation, when it has a usable one (to answer with an error). */
export function requestIdOf(raw: unknown): number | undefined {
  const id = isObj(raw) ? raw.requestId : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}
