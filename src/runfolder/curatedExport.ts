// The curated result of a run as rows and as a labelled ImageFolder: every image of a checkpoint that is not in a
// junk cluster, with its curated name (src/runfolder/curation.ts). Used by `deepcluster export` and the
// extension. Images held inside a container file (IDX, CIFAR: `<file>#<i>` names) have no file to link or copy;
// the caller supplies their PNG bytes (the trainer decodes them). Plain Node, no tfjs.
import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ExportMode } from '../protocol/curation';
import { listCheckpoints, readArray, verifyCheckpoint } from './checkpoints';
import { checkpointDir } from './layout';
import { applyCuration, CurationError, emptyCuration, readCuration, rebaseCuration } from './curation';
import { fsPathOf } from './fileNames';
import { readImageNames } from './imageNames';

export interface CuratedRow {
  index: number;
  /** The image's name in images.txt: a file path, or `<file>#<i>`. */
  path: string;
  /** The curated cluster (after moves and merges) and its name. */
  cluster: number;
  name: string;
}

/** Epochs of the run's complete checkpoints, oldest first. */
export function completeEpochs(runDir: string): number[] {
  return listCheckpoints(runDir).map((c) => c.epoch);
}

export function readAssignments(runDir: string, epoch: number): Int32Array {
  const dir = checkpointDir(runDir, epoch);
  const check = verifyCheckpoint(dir);
  if (!check.complete)
    throw new CurationError(`${dir}: the run has no complete checkpoint of epoch ${epoch} (${check.reason})`);
  const a = readArray(
    dir,
    check.manifest.files.find((f) => f.role === 'assignments'),
  );
  if (!a) throw new CurationError(`${dir} holds no assignments`);
  return a.data as Int32Array;
}

/** The rows of checkpoint `epoch` (default: the newest) with the run's curation, junk left out. */
export function curatedRows(runDir: string, epoch?: number): { epoch: number; rows: CuratedRow[]; junk: number } {
  const epochs = completeEpochs(runDir);
  if (!epochs.length) throw new CurationError(`${runDir} has no complete checkpoint`);
  const e = epoch ?? epochs.at(-1)!;
  if (!epochs.includes(e))
    throw new CurationError(`--epoch ${e}: ${runDir} has checkpoints of epochs ${epochs.join(', ')}`);
  const assignments = readAssignments(runDir, e);
  let c = readCuration(runDir) ?? emptyCuration(e);
  if (c.epoch !== e) {
    if (!epochs.includes(c.epoch))
      throw new CurationError(
        `curation.json names clusters of epoch ${c.epoch}, whose checkpoint is gone; curate epoch ${e} again`,
      );
    c = rebaseCuration(c, readAssignments(runDir, c.epoch), assignments, e);
  }
  const names = readImageNames(runDir) ?? [];
  const curated = applyCuration(c, assignments);
  const rows: CuratedRow[] = [];
  let junk = 0;
  curated.forEach((img, index) => {
    if (img.junk) junk++;
    else rows.push({ index, path: names[index] ?? `#${index}`, cluster: img.group, name: img.name });
  });
  return { epoch: e, rows, junk };
}

const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function curatedCsv(rows: CuratedRow[]): string {
  return (
    [
      'index,path,cluster,label',
      ...rows.map((r) => `${r.index},${csvField(r.path)},${r.cluster},${csvField(r.name)}`),
    ].join('\n') + '\n'
  );
}

/** A class folder name from a cluster name: path separators, control and reserved characters become '_'. */
export function folderName(name: string): string {
  const s = name
    .replace(/[\u0000-\u001f<>:"/\\|?*]/g, '_')
    .replace(/[. ]+$/, '')
    .trim();
  return s === '' || s === '.' || s === '..' ? '_' : s.slice(0, 120);
}

/** An image held in a container file (IDX, CIFAR) rather than in a file of its own. */
export const isContainerName = (name: string) => /#\d+$/.test(name) && !existsSync(fsPathOf(name));

/**
 * Writes <out>/<class>/<index>-<file name> for every row: a symlink to the image or a copy of it; container images
 * as `<index>.png` from `png(index)`. `out` must not exist or be empty (never overwrites).
 */
export async function writeImageFolder(
  rows: CuratedRow[],
  out: string,
  mode: ExportMode,
  png: (indices: number[]) => Promise<Map<number, Buffer>>,
  onProgress?: (done: number, total: number) => void,
): Promise<{ classes: number }> {
  if (existsSync(out) && readdirSync(out).length) throw new CurationError(`--out ${out} exists and is not empty`);
  mkdirSync(out, { recursive: true });
  const classes = new Set<string>();
  const container = rows.filter((r) => isContainerName(r.path));
  const files = rows.filter((r) => !isContainerName(r.path));
  for (const r of rows) classes.add(folderName(r.name));
  for (const c of classes) mkdirSync(join(out, c), { recursive: true });
  let done = 0;
  for (const r of files) {
    const src = fsPathOf(r.path);
    const base = basename(typeof src === 'string' ? src : src.toString('latin1'));
    const dst = join(out, folderName(r.name), `${r.index}-${base}`);
    if (mode === 'symlink') symlinkSync(src, dst);
    else copyFileSync(src, dst);
    onProgress?.(++done, rows.length);
  }
  for (let s = 0; s < container.length; s += 512) {
    const part = container.slice(s, s + 512);
    const pngs = await png(part.map((r) => r.index));
    for (const r of part) {
      writeFileSync(join(out, folderName(r.name), `${r.index}.png`), pngs.get(r.index)!);
      onProgress?.(++done, rows.length);
    }
  }
  return { classes: classes.size };
}
