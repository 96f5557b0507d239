// The guard every path derived from a webview message passes: it must resolve (symlinks included) inside one of
// the panel's roots (the extension, the run, the dataset). Where things live in a run: src/runfolder/.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { LabelHistograms, RunManifest } from '../../protocol';
import { listCheckpoints, peekCheckpoint, verifyCheckpoint } from '../../runfolder/checkpoints';
import { checkpointDir, checkpointFile, thumbnailFile, thumbsDir as runThumbsDir } from '../../runfolder/layout';
import { peekRunManifest } from '../../runfolder/manifest';

export class PathEscapeError extends Error {}

/** The real path of p, or of its nearest existing ancestor joined with the rest (for files not written yet). */
function realish(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realish(parent), abs.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
  }
}

export function isInside(root: string, p: string): boolean {
  const rel = relative(realish(root), realish(p));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Throws unless p lies inside one of roots after resolving `..` and symlinks. */
export function guardPath(roots: readonly string[], p: string): string {
  if (typeof p !== 'string' || p.includes('\0') || !roots.some((r) => isInside(r, p)))
    throw new PathEscapeError(`refused: ${p} is outside the panel's folders`);
  return resolve(p);
}

/** Reads a file only when it lies inside roots. */
export function readGuarded(roots: readonly string[], p: string): Buffer {
  return readFileSync(guardPath(roots, p));
}

/** The folders a panel's webview may load from: the extension, the run and the dataset. */
export function panelRoots(extensionDir: string, runDir: string): string[] {
  const roots = [extensionDir, runDir];
  const ds = datasetRoot(runDir);
  if (ds) roots.push(ds);
  return roots;
}

/** The dataset folder of a run (the file's folder for IDX/CIFAR files), when it still exists. */
export function datasetRoot(runDir: string): string | undefined {
  const m = peekRunManifest(runDir);
  const p = m?.dataset?.path;
  if (!p || !existsSync(p)) return undefined;
  try {
    return statSync(p).isDirectory() ? p : dirname(p);
  } catch {
    return undefined;
  }
}

/** Epochs of the complete checkpoints, oldest first. */
export function checkpointEpochs(runDir: string): number[] {
  return listCheckpoints(runDir).map((c) => c.epoch);
}

/** checkpoint.json of epoch `epoch`, only when that checkpoint exists and lies inside the run. */
export function checkpointManifestPath(runDir: string, epoch: number): string {
  // Guarded before anything is read: a checkpoint folder that links out of the run is refused unread.
  const manifest = guardPath([runDir], checkpointFile(checkpointDir(runDir, epoch), 'manifest'));
  if (!verifyCheckpoint(checkpointDir(runDir, epoch)).complete) throw new Error(`no checkpoint for epoch ${epoch}`);
  return manifest;
}

export function readLabelHistograms(checkpointDir: string): LabelHistograms | undefined {
  return peekCheckpoint(checkpointFile(checkpointDir, 'manifest'))?.json<LabelHistograms>('labelHistograms');
}

/** Thumbnail side the panels ask the trainer for (pixels). */
export const THUMB_SIZE = 64;

/** Thumbnails the trainer's `thumbs` command writes for the panels. */
export function thumbsDir(runDir: string): string {
  return runThumbsDir(runDir, THUMB_SIZE);
}

/** Dataset indices among `indices` that have no thumbnail yet. */
export function missingThumbs(runDir: string, indices: Iterable<number>): number[] {
  const out: number[] = [];
  for (const i of new Set(indices)) if (!existsSync(thumbnailFile(runDir, THUMB_SIZE, i))) out.push(i);
  return out;
}

export function readManifest(runDir: string): RunManifest | undefined {
  return peekRunManifest(runDir);
}

export function readText(roots: readonly string[], p: string): string | undefined {
  try {
    return readGuarded(roots, p).toString('utf8');
  } catch (e) {
    if (e instanceof PathEscapeError) throw e;
    return undefined;
  }
}
