// The decoded cache: every image of a dataset at S x S x C uint8, one file, rows in dataset order, plus a JSON
// sidecar (count, labels, paths, skipped files, normalisation). Memory per image: S*S*C bytes (784 B for
// 28x28 grey, 3 KiB for 32x32 RGB, 147 KiB for 224x224 RGB). Written to a temp file and renamed, so a killed
// process never leaves a cache that a later open would trust.
import { constants } from 'node:fs';
import { processExists } from '../../runfolder/liveness';
import { access, mkdir, open, readFile, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { DatasetInfo } from '../../protocol/run';
import { DatasetError } from './source';
import type { Normalization, SkippedFile } from './types';

/** Bump when decoding changes (resize kernel, alpha background...): old caches are then ignored. */
export const CACHE_VERSION = 1;
/** Caches up to this size are read into memory once; larger ones are read by slices at each batch. */
export const IN_MEMORY_LIMIT = 256 * 2 ** 20;

export interface CacheMeta {
  version: number;
  kind: DatasetInfo['kind'];
  path: string;
  fingerprint: string;
  size: number;
  channels: number;
  count: number;
  labels?: number[];
  classNames?: string[];
  paths?: string[];
  /** `imagesBefore`: good images decoded before this file, so a view of the first N knows its own skips. */
  skipped: (SkippedFile & { imagesBefore: number })[];
  normalization: Normalization;
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'deepcluster');
}

/**
 * The cache folder to use: the requested one, or, when the default one cannot be written (read-only home,
 * sandbox), a per-user folder under the system temp dir, with a warning.
 */
export async function usableCacheDir(requested: string | undefined, warn?: (message: string) => void): Promise<string> {
  const dir = requested ?? defaultCacheDir();
  const writable = (d: string) =>
    mkdir(d, { recursive: true })
      .then(() => access(d, constants.W_OK))
      .then(
        () => true,
        () => false,
      );
  if (await writable(dir)) return dir;
  const fallback = join(tmpdir(), `deepcluster-cache-${process.getuid?.() ?? 'user'}`);
  if (requested === undefined && (await writable(fallback))) {
    warn?.(`cannot write the image cache folder ${dir}; using ${fallback}`);
    return fallback;
  }
  throw new DatasetError(`cannot write the image cache folder ${dir}`);
}

/** Remove temp files that killed writers left for this cache (their process is gone). */
async function removeStaleTemps(stem: string): Promise<void> {
  const prefix = basename(stem);
  const names = await readdir(dirname(stem)).catch(() => [] as string[]);
  for (const name of names) {
    const m = name.startsWith(prefix) ? /\.(u8|json)\.tmp-(\d+)/.exec(name.slice(prefix.length)) : null;
    if (m && !processExists(Number(m[2]))) await rm(join(dirname(stem), name), { force: true });
  }
}

/** `<dir>/<kind>-<fingerprint>-s<S>-<n|all>.v<version>`; add `.u8` (pixels) or `.json` (meta). */
export function cacheStem(
  dir: string,
  kind: string,
  fingerprint: string,
  size: number,
  limit: number | undefined,
): string {
  return join(
    dir,
    `${kind}-${fingerprint.slice(0, 20)}-s${size}-${limit === undefined ? 'all' : `n${limit}`}.v${CACHE_VERSION}`,
  );
}

/** The meta of a complete cache (its pixel file has exactly the promised size), or undefined. */
export async function readCacheMeta(stem: string): Promise<CacheMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(stem + '.json', 'utf8')) as CacheMeta;
    const bytes = (await stat(stem + '.u8')).size;
    if (meta.version !== CACHE_VERSION || bytes !== meta.count * meta.size * meta.size * meta.channels)
      return undefined;
    return meta;
  } catch {
    return undefined;
  }
}

function writeError(file: string, err: unknown): DatasetError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC')
    return new DatasetError(
      `disk full while writing the image cache ${file}; free space or choose another cache folder`,
    );
  return new DatasetError(`cannot write the image cache ${file}: ${code ?? (err as Error).message}`);
}

/** Appends rows to `<stem>.u8.tmp-<pid>`; `commit` renames pixels, then writes the meta the same way. */
export class CacheWriter {
  private constructor(
    private readonly stem: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
  ) {}
  bytes = 0;

  static async create(stem: string): Promise<CacheWriter> {
    const tmp = `${stem}.u8.tmp-${process.pid}-${Date.now()}`;
    try {
      await mkdir(dirname(stem), { recursive: true });
      await removeStaleTemps(stem);
      return new CacheWriter(stem, tmp, await open(tmp, 'w+'));
    } catch (err) {
      throw writeError(tmp, err);
    }
  }

  get tempFile(): string {
    return this.tmp;
  }

  async append(rows: Uint8Array): Promise<void> {
    try {
      await this.fh.write(rows, 0, rows.length, this.bytes);
    } catch (err) {
      throw writeError(this.tmp, err);
    }
    this.bytes += rows.length;
  }

  /** Keep channel 0 of every 3-channel row (grey images decoded as RGB have R = G = B). */
  async squeezeToGrey(rowPixels: number): Promise<void> {
    const rows = this.bytes / (rowPixels * 3);
    const CHUNK = 1024;
    const inBuf = new Uint8Array(CHUNK * rowPixels * 3);
    const outBuf = new Uint8Array(CHUNK * rowPixels);
    // Reading ahead of writing in the same file is safe: the write offset never passes the read offset.
    for (let r = 0; r < rows; r += CHUNK) {
      const n = Math.min(CHUNK, rows - r);
      await this.fh.read(inBuf, 0, n * rowPixels * 3, r * rowPixels * 3);
      for (let p = 0; p < n * rowPixels; p++) outBuf[p] = inBuf[3 * p];
      await this.fh.write(outBuf, 0, n * rowPixels, r * rowPixels).catch((err) => {
        throw writeError(this.tmp, err);
      });
    }
    this.bytes = rows * rowPixels;
    await this.fh.truncate(this.bytes);
  }

  async commit(meta: CacheMeta): Promise<void> {
    try {
      await this.fh.sync();
      await this.fh.close();
      await rename(this.tmp, this.stem + '.u8');
      const metaTmp = `${this.stem}.json.tmp-${process.pid}`;
      await writeFile(metaTmp, JSON.stringify(meta));
      await rename(metaTmp, this.stem + '.json');
    } catch (err) {
      throw writeError(this.stem, err);
    }
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => {});
    await rm(this.tmp, { force: true });
  }
}

/** Reads rows by index: from memory for small caches, else by positioned reads of the file. */
export class CacheReader {
  private constructor(
    readonly rowBytes: number,
    readonly count: number,
    private readonly memory: Uint8Array | undefined,
    private readonly fh: FileHandle | undefined,
  ) {}

  static async open(file: string, rowBytes: number, count: number, inMemory?: boolean): Promise<CacheReader> {
    const memory = inMemory ?? count * rowBytes <= IN_MEMORY_LIMIT;
    if (memory) {
      const all = await readFile(file);
      return new CacheReader(rowBytes, count, new Uint8Array(all.buffer, all.byteOffset, count * rowBytes), undefined);
    }
    return new CacheReader(rowBytes, count, undefined, await open(file, 'r'));
  }

  get streaming(): boolean {
    return this.fh !== undefined;
  }

  async read(indices: ArrayLike<number>): Promise<Uint8Array> {
    const n = indices.length;
    const rb = this.rowBytes;
    const out = new Uint8Array(n * rb);
    for (let i = 0; i < n; i++) {
      const idx = indices[i];
      if (!(idx >= 0 && idx < this.count && Number.isInteger(idx)))
        throw new RangeError(`image index ${idx} outside 0..${this.count - 1}`);
    }
    if (this.memory) {
      for (let i = 0; i < n; i++) out.set(this.memory.subarray(indices[i] * rb, (indices[i] + 1) * rb), i * rb);
      return out;
    }
    // Runs of consecutive indices (the feature pass reads in order) become one read each.
    const reads: Promise<unknown>[] = [];
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && indices[j] === indices[j - 1] + 1) j++;
      reads.push(readFully(this.fh!, out, i * rb, (j - i) * rb, indices[i] * rb));
      i = j;
    }
    await Promise.all(reads);
    return out;
  }

  async close(): Promise<void> {
    await this.fh?.close();
  }
}

/** FileHandle.read may return fewer bytes than asked; loop until all arrived (a shorter file is an error). */
async function readFully(
  fh: FileHandle,
  out: Uint8Array,
  offset: number,
  length: number,
  position: number,
): Promise<void> {
  while (length > 0) {
    const { bytesRead } = await fh.read(out, offset, length, position);
    if (bytesRead === 0)
      throw new DatasetError('the image cache file is shorter than its index says; delete it to rebuild');
    offset += bytesRead;
    position += bytesRead;
    length -= bytesRead;
  }
}
