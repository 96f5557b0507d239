// Reads a cached embedding map (<run>/maps/epoch-0007-umap.json, src/protocol/embeddingMap.ts) and checks it
// before anything draws it: a truncated or hand-edited file is one error naming the file, never a half map.
// Plain Node: the extension, the panel tests and the trainer read through here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDDING_MAP_VERSION, MAP_METHODS, type EmbeddingMapFile, type MapMethod } from '../protocol/embeddingMap';
import { mapRelPath } from './layout';

export class EmbeddingMapError extends Error {}

export function embeddingMapPath(runDir: string, epoch: number, method: MapMethod): string {
  return join(runDir, mapRelPath(epoch, method));
}

/** The map, or undefined when it was never computed. Throws EmbeddingMapError when the file is bad. */
export function readEmbeddingMap(runDir: string, epoch: number, method: MapMethod): EmbeddingMapFile | undefined {
  const file = embeddingMapPath(runDir, epoch, method);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EmbeddingMapError(`${file}: ${(e as Error).message}`);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new EmbeddingMapError(`${file} is not valid JSON (truncated?); delete it and compute the map again`);
  }
  return checkMap(j, file);
}

export function checkMap(j: unknown, file: string): EmbeddingMapFile {
  const bad = (what: string) => new EmbeddingMapError(`${file}: ${what}`);
  const m = j as Partial<EmbeddingMapFile>;
  if (typeof m !== 'object' || m === null) throw bad('not an embedding map');
  if (m.version !== EMBEDDING_MAP_VERSION)
    throw bad(`map format ${String(m.version)} is not one this version reads (${EMBEDDING_MAP_VERSION})`);
  if (!MAP_METHODS.includes(m.method as MapMethod)) throw bad(`unknown method ${String(m.method)}`);
  const n = m.images;
  if (!Number.isInteger(n) || n! < 0) throw bad('images must be a count');
  const numbers = (key: 'x' | 'y' | 'clusters' | 'labels', integer: boolean) => {
    const a = m[key];
    if (!Array.isArray(a) || a.length !== n) throw bad(`${key} must hold ${n} numbers`);
    for (const v of a)
      if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
        throw bad(`${key} holds a non-${integer ? 'integer' : 'number'} value`);
  };
  numbers('x', false);
  numbers('y', false);
  numbers('clusters', true);
  if (m.labels !== undefined) numbers('labels', true);
  if (!Number.isInteger(m.epoch)) throw bad('epoch must be an integer');
  return m as EmbeddingMapFile;
}
