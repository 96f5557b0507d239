// torch.save's two formats, read without Python:
//  - zip (PyTorch >= 1.6): <prefix>/data.pkl plus one <prefix>/data/<key> file per storage;
//  - legacy (PyTorch 0.4-1.5, and _use_new_zipfile_serialization=False): five pickles in a row (magic number,
//    protocol version, sys_info, the object, the storage keys), then each storage as an int64 element count
//    followed by its raw little-endian bytes.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PytorchCheckpointError } from './errors';
import { resolveTorchGlobal, isStorageType } from './allowedGlobals';
import { DTYPE_BYTES, type TorchStorage } from './tensor';
import { unpickle, UnpickleError } from './unpickler';
import { ZipArchive, ZipError } from './zipArchive';

export interface PytorchCheckpoint {
  file: string;
  format: 'zip' | 'legacy';
  /** The unpickled object: dicts are Maps, tensors TorchTensor (see tensor.ts). */
  root: unknown;
  bytes: number;
  storages: number;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** File names torch checkpoints go by. */
export const PYTORCH_CHECKPOINT_PATTERN = /\.(pth|pt|pth\.tar)$/i;

export async function readPytorchCheckpoint(file: string): Promise<PytorchCheckpoint> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PytorchCheckpointError(`${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parsePytorchCheckpoint(buf, file);
}

/** Parses a checkpoint held in memory; `file` names it in errors. */
export function parsePytorchCheckpoint(buf: Uint8Array, file: string): PytorchCheckpoint {
  const name = path.basename(file);
  try {
    if (buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04)
      return readZip(buf, file);
    if (buf.length > 262 && new TextDecoder().decode(buf.subarray(257, 262)) === 'ustar') {
      throw new PytorchCheckpointError(
        `${name}: a PyTorch 0.1.x tar checkpoint; load and re-save it with PyTorch >= 0.4 first`,
      );
    }
    if (buf.length >= 2 && buf[0] === 0x80 && buf[1] >= 2) return readLegacy(buf, file);
    throw new PytorchCheckpointError(`${name}: not a PyTorch checkpoint (neither a zip archive nor a pickle)`);
  } catch (e) {
    if (e instanceof PytorchCheckpointError) throw e;
    if (e instanceof UnpickleError || e instanceof ZipError) throw new PytorchCheckpointError(`${name}: ${e.message}`);
    if (e instanceof RangeError) throw new PytorchCheckpointError(`${name}: truncated or corrupt (${e.message})`);
    throw e;
  }
}

/** Parses a persistent id ('storage', StorageType, key, location, numel[, view]) into a storage shell. */
function storageFromPid(pid: unknown): { storage: TorchStorage; view: unknown } {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5)
    throw new UnpickleError(`unexpected persistent id ${JSON.stringify(String(pid))}`);
  const [, type, key, location, numel, view] = pid as unknown[];
  if (!isStorageType(type)) throw new UnpickleError('persistent id without a storage type');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
    throw new UnpickleError(`storage ${String(key)}: bad element count`);
  return { storage: { kind: 'storage', dtype: type.dtype, key: String(key), numel, location: String(location) }, view };
}

function readZip(buf: Uint8Array, file: string): PytorchCheckpoint {
  const name = path.basename(file);
  const zip = new ZipArchive(buf);
  const pkl =
    [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n)) ??
    (zip.entries.has('data.pkl') ? 'data.pkl' : undefined);
  if (!pkl) throw new PytorchCheckpointError(`${name}: a zip archive without data.pkl, not a PyTorch checkpoint`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  if (
    zip.entries.has(`${prefix}byteorder`) &&
    new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() === 'big'
  ) {
    throw new PytorchCheckpointError(`${name}: saved on a big-endian machine, which is not supported`);
  }
  const storages = new Map<string, TorchStorage>();
  const { value } = unpickle(zip.read(pkl), 0, {
    resolveGlobal: resolveTorchGlobal,
    persistentLoad(pid) {
      const { storage } = storageFromPid(pid);
      const known = storages.get(storage.key);
      if (known) return known;
      const bytes = zip.read(`${prefix}data/${storage.key}`);
      const needed = storage.numel * DTYPE_BYTES[storage.dtype];
      if (bytes.length < needed)
        throw new UnpickleError(`storage ${storage.key} has ${bytes.length} bytes, expected ${needed}`);
      storage.bytes = bytes.subarray(0, needed);
      storages.set(storage.key, storage);
      return storage;
    },
  });
  return { file, format: 'zip', root: value, bytes: buf.length, storages: storages.size };
}

function readLegacy(buf: Uint8Array, file: string): PytorchCheckpoint {
  const name = path.basename(file);
  const next = (pos: number, persistentLoad?: (pid: unknown) => unknown) =>
    unpickle(buf, pos, { resolveGlobal: resolveTorchGlobal, persistentLoad });
  const magic = next(0);
  if (magic.value !== LEGACY_MAGIC)
    throw new PytorchCheckpointError(`${name}: a pickle, but not a PyTorch checkpoint (no torch magic number)`);
  const protocol = next(magic.end);
  if (protocol.value !== LEGACY_PROTOCOL)
    throw new PytorchCheckpointError(`${name}: unsupported torch serialization protocol ${String(protocol.value)}`);
  const sysInfo = next(protocol.end);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new PytorchCheckpointError(`${name}: saved on a big-endian machine, which is not supported`);
  }
  const roots = new Map<string, TorchStorage>();
  const views: { storage: TorchStorage; root: string; offset: number }[] = [];
  const obj = next(sysInfo.end, (pid) => {
    const { storage, view } = storageFromPid(pid);
    let root = roots.get(storage.key);
    if (!root) roots.set(storage.key, (root = storage));
    if (view === null || view === undefined) return root;
    // torch 0.x storage views: (view key, offset, size) into the root storage.
    if (!Array.isArray(view) || view.length !== 3) throw new UnpickleError(`storage ${storage.key}: bad view metadata`);
    const [, offset, size] = view as number[];
    const v: TorchStorage = {
      kind: 'storage',
      dtype: root.dtype,
      key: `${storage.key}/${String(view[0])}`,
      numel: Number(size),
      location: root.location,
    };
    views.push({ storage: v, root: storage.key, offset: Number(offset) });
    return v;
  });
  const keys = next(obj.end);
  if (!Array.isArray(keys.value)) throw new PytorchCheckpointError(`${name}: the storage key list is missing`);
  const data = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = keys.end;
  for (const key of keys.value as unknown[]) {
    const s = roots.get(String(key));
    if (!s) throw new PytorchCheckpointError(`${name}: storage ${String(key)} is listed but never used`);
    if (pos + 8 > buf.length)
      throw new PytorchCheckpointError(
        `${name}: truncated: storage ${s.key} is missing (file ends at byte ${buf.length})`,
      );
    const n = Number(data.getBigInt64(pos, true));
    if (n !== s.numel)
      throw new PytorchCheckpointError(`${name}: storage ${s.key} holds ${n} elements, the pickle says ${s.numel}`);
    const bytes = n * DTYPE_BYTES[s.dtype];
    if (pos + 8 + bytes > buf.length)
      throw new PytorchCheckpointError(
        `${name}: truncated: storage ${s.key} needs ${bytes} bytes at ${pos + 8}, the file ends at ${buf.length}`,
      );
    s.bytes = buf.subarray(pos + 8, pos + 8 + bytes);
    pos += 8 + bytes;
  }
  for (const v of views) {
    const root = roots.get(v.root)!;
    const size = DTYPE_BYTES[root.dtype];
    if (root.bytes && (v.offset + v.storage.numel) * size <= root.bytes.length)
      v.storage.bytes = root.bytes.subarray(v.offset * size, (v.offset + v.storage.numel) * size);
  }
  return { file, format: 'legacy', root: obj.value, bytes: buf.length, storages: roots.size };
}
