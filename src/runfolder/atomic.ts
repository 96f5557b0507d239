// Atomic file writes for the run directory: readers (the extension, `inspect`, `resume`) see either the old
// file or the new one, never a half-written one, even when the trainer is killed or the disk fills up.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** A write that failed, with a one-line message naming the file ("disk full while writing <path>"). */
export class RunWriteError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RunWriteError';
  }
}

/** Turn a file-system error into a one-line message that names the file. */
export function describeWriteError(err: unknown, file: string): RunWriteError {
  if (err instanceof RunWriteError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = (() => {
    switch (code) {
      case 'ENOSPC':
        return `disk full while writing ${file}`;
      case 'EDQUOT':
        return `disk quota exceeded while writing ${file}`;
      case 'EACCES':
      case 'EPERM':
        return `permission denied while writing ${file}`;
      case 'EROFS':
        return `read-only file system: cannot write ${file}`;
      default: {
        const detail = err instanceof Error ? err.message : String(err);
        return `cannot write ${file}: ${detail.split('\n')[0]}`;
      }
    }
  })();
  return new RunWriteError(message, file, code);
}

export interface AtomicWriteOptions {
  /** fsync the file and its folder (default true). Off only for data that is cheap to lose. */
  fsync?: boolean;
  /** Fault injection for tests: runs after the temp file is complete, before the rename. */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

let counter = 0;
/** A temp name in the same folder (rename is atomic only within one file system). Dot-prefixed: readers skip it. */
export function tempPathFor(file: string): string {
  counter = (counter + 1) % 1e9;
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${counter}`);
}

/** fsync a folder so a rename inside it survives a power cut. Some platforms (Windows) cannot; that is fine. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}

/** Write data to a file with fsync (used for files inside a temp checkpoint folder, renamed as a whole later). */
export async function writeFileDurable(file: string, data: string | Uint8Array | Uint8Array[]): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    for (const chunk of Array.isArray(data) ? data : [data]) await handle.writeFile(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Write `data` to `file` atomically: temp file in the same folder, fsync, rename over the target, fsync the
 * folder. On any failure the temp file is removed, the previous `file` is left untouched, and a RunWriteError
 * with a one-line message is thrown.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array | Uint8Array[],
  options: AtomicWriteOptions = {},
): Promise<void> {
  const sync = options.fsync ?? true;
  const temp = tempPathFor(file);
  try {
    if (sync) await writeFileDurable(temp, data);
    else await fs.writeFile(temp, Array.isArray(data) ? Buffer.concat(data) : data);
    await options.beforeRename?.(temp);
    await fs.rename(temp, file);
    if (sync) await fsyncDir(path.dirname(file));
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw describeWriteError(err, file);
  }
}

/** writeFileAtomic of pretty-printed JSON with a final newline. */
export async function writeJsonAtomic(file: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', options);
}

/** Read and parse a JSON file; the error names the file. */
/** Whether a path exists (any kind of file). */
export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

export async function readJson<T>(file: string): Promise<T> {
  const text = await fs.readFile(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}
