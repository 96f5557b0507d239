// Image folders, read recursively. Class subfolders give labels; a flat (or mixed) folder is unlabelled.
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fsPathOf, nameFromBytes } from '../../runfolder/fileNames';
import { decodeImage, mapLimit } from './decode';
import { hashStrings } from './fingerprint';
import type { DecodeContext, Source, SourceChunk } from './source';
import type { SkippedFile } from './types';

/** What sharp decodes in its prebuilt form. Other files are listed as skipped ("not an image file"). */
export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
]);
/** Larger files are skipped rather than read whole into memory (no sane training image is this big). */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

interface FileEntry {
  /** Absolute path; bytes that are not UTF-8 are escaped (runfolder/fileNames.ts): open it through fsPathOf. */
  path: string;
  /** Path relative to the root, '/'-separated (the sort key, so the order is the same on every OS). */
  rel: string;
  size: number;
  mtimeMs: number;
}

const isImageName = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());

/** Every non-hidden file below root, sorted by relative path; unreadable sub-folders are reported, not fatal. */
export async function listFiles(root: string): Promise<{ files: FileEntry[]; skipped: SkippedFile[] }> {
  const files: FileEntry[] = [];
  const skipped: SkippedFile[] = [];
  const visited = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    // As bytes: a name that is not UTF-8 read as a string comes back with U+FFFD and names no file.
    const real = (await realpath(fsPathOf(dir), { encoding: 'buffer' })).toString('latin1');
    if (visited.has(real)) return; // a symlink loop
    visited.add(real);
    let names: string[];
    try {
      names = (await readdir(fsPathOf(dir), { encoding: 'buffer' })).map(nameFromBytes);
    } catch (err) {
      skipped.push({
        path: dir,
        reason: `unreadable folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      });
      return;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue; // .DS_Store, .git, editor files: not part of the collection
      const path = join(dir, name);
      const st = await stat(fsPathOf(path)).catch(() => undefined); // follows symlinks; a dangling one is reported below
      if (!st) {
        skipped.push({ path, reason: 'unreadable (dangling link or vanished file)' });
      } else if (st.isDirectory()) {
        await walk(path);
      } else if (st.isFile()) {
        files.push({ path, rel: relative(root, path).split(sep).join('/'), size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  await walk(root);
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { files, skipped };
}

/**
 * Labels: when no image lies directly in root and at least two top-level sub-folders hold images, each such
 * sub-folder is a class (torchvision's ImageFolder convention), named after the folder, in sorted order.
 */
export function classesOf(files: FileEntry[]): string[] | undefined {
  const tops = new Set<string>();
  for (const f of files) {
    if (!isImageName(f.rel)) continue;
    const slash = f.rel.indexOf('/');
    if (slash < 0) return undefined;
    tops.add(f.rel.slice(0, slash));
  }
  return tops.size >= 2 ? [...tops].sort() : undefined;
}

export async function folderSource(root: string): Promise<Source> {
  const { files, skipped } = await listFiles(root);
  const classNames = classesOf(files);
  const fingerprint = hashStrings(files.map((f) => `${f.rel}\t${f.size}\t${f.mtimeMs}`));
  return {
    kind: 'folder',
    path: root,
    fingerprint,
    total: files.length,
    labelled: classNames !== undefined,
    classNames,
    listingSkipped: skipped,
    decode: (ctx) => decodeFolder(files, classNames, ctx),
  };
}

/** Why a file cannot be used, or undefined if it decoded. */
async function readImage(f: FileEntry, size: number): Promise<{ rgb: Uint8Array; grey: boolean } | string> {
  if (!isImageName(f.rel)) return `not an image file (${extname(f.rel) || 'no extension'})`;
  if (f.size === 0) return 'empty file (0 bytes)';
  if (f.size > MAX_FILE_BYTES) return `file too large (${Math.round(f.size / 2 ** 20)} MiB)`;
  let bytes: Buffer;
  try {
    bytes = await readFile(fsPathOf(f.path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM'
      ? 'unreadable (permission denied)'
      : `unreadable (${code ?? (err as Error).message})`;
  }
  try {
    return await decodeImage(bytes, size);
  } catch (err) {
    return `not a decodable image (${(err as Error).message.split('\n')[0]})`;
  }
}

async function* decodeFolder(
  files: FileEntry[],
  classNames: string[] | undefined,
  ctx: DecodeContext,
): AsyncGenerator<SourceChunk> {
  const classIndex = new Map(classNames?.map((c, i) => [c, i]));
  const rowBytes = ctx.size * ctx.size * 3;
  const WINDOW = 64; // files decoded per chunk: bounds memory to WINDOW decoded images plus `concurrency` files
  let good = 0;
  for (let start = 0; start < files.length && good < ctx.limit; start += WINDOW) {
    const window = files.slice(start, start + WINDOW);
    const results = await mapLimit(window, ctx.concurrency, (f) => readImage(f, ctx.size));
    const pixels: Uint8Array[] = [];
    const paths: string[] = [];
    const labels: number[] = [];
    const grey: boolean[] = [];
    for (let i = 0; i < window.length && good < ctx.limit; i++) {
      const r = results[i];
      if (typeof r === 'string') {
        ctx.skip({ path: window[i].path, reason: r }, good);
        continue;
      }
      pixels.push(r.rgb);
      paths.push(window[i].path);
      grey.push(r.grey);
      if (classNames) labels.push(classIndex.get(window[i].rel.slice(0, window[i].rel.indexOf('/'))) ?? -1);
      good++;
    }
    ctx.progress(Math.min(files.length, start + WINDOW), files.length);
    if (!pixels.length) continue;
    const chunk = new Uint8Array(pixels.length * rowBytes);
    pixels.forEach((p, i) => chunk.set(p, i * rowBytes));
    yield { pixels: chunk, count: pixels.length, channels: 3, paths, grey, labels: classNames ? labels : undefined };
  }
}
