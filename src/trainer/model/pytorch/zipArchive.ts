// A minimal zip reader for torch.save's archives (PyTorch >= 1.6): the central directory (Zip64 included, as
// files over 4 GiB need), stored entries as views into the buffer, deflated ones through node:zlib.
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export class ZipError extends Error {}

function u64(v: DataView, at: number): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('zip offset too large');
  return Number(n);
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const v = this.view;
    // The end-of-central-directory record is in the last 64 KiB + 22 bytes (its comment is at most 65535).
    let eocd = -1;
    for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
      if (v.getUint32(i, true) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ZipError('no zip end-of-central-directory record (truncated?)');
    let count = v.getUint16(eocd + 10, true);
    let cdSize = v.getUint32(eocd + 12, true);
    let cdOffset = v.getUint32(eocd + 16, true);
    if (eocd >= 20 && v.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
      const z = u64(v, eocd - 12);
      if (z + 56 > buf.length || v.getUint32(z, true) !== ZIP64_EOCD)
        throw new ZipError('bad Zip64 end-of-central-directory record');
      count = u64(v, z + 32);
      cdSize = u64(v, z + 40);
      cdOffset = u64(v, z + 48);
    }
    if (cdOffset + cdSize > buf.length)
      throw new ZipError('zip central directory lies past the end of the file (truncated?)');
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > buf.length || v.getUint32(p, true) !== CENTRAL)
        throw new ZipError(`bad zip central directory entry ${i}`);
      const method = v.getUint16(p + 10, true);
      let compressedSize = v.getUint32(p + 20, true);
      let size = v.getUint32(p + 24, true);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      let headerOffset = v.getUint32(p + 42, true);
      const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
      // Zip64 extra field: the 0xffffffff fields, in order size, compressed size, offset.
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = v.getUint16(e, true);
        const len = v.getUint16(e + 2, true);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) {
            size = u64(v, q);
            q += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = u64(v, q);
            q += 8;
          }
          if (headerOffset === 0xffffffff) headerOffset = u64(v, q);
        }
        e += 4 + len;
      }
      this.entries.set(name, { name, method, compressedSize, size, headerOffset });
      p = extraEnd + commentLen;
    }
  }

  /** The entry's bytes: a view for stored entries, inflated for deflated ones. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new ZipError(`no ${name} in the archive`);
    const v = this.view;
    const h = e.headerOffset;
    if (h + 30 > this.buf.length || v.getUint32(h, true) !== LOCAL) throw new ZipError(`bad local header for ${name}`);
    const start = h + 30 + v.getUint16(h + 26, true) + v.getUint16(h + 28, true);
    if (start + e.compressedSize > this.buf.length)
      throw new ZipError(`${name} reaches past the end of the file (truncated?)`);
    const raw = this.buf.subarray(start, start + e.compressedSize);
    if (e.method === 0) return raw;
    if (e.method !== 8)
      throw new ZipError(`${name} uses zip compression method ${e.method}; only stored and deflated are supported`);
    try {
      // Capped at the declared size, so a crafted entry cannot inflate without bound.
      const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      if (out.length !== e.size) throw new ZipError(`${name} inflates to ${out.length} bytes, expected ${e.size}`);
      return out;
    } catch (err) {
      if (err instanceof ZipError) throw err;
      throw new ZipError(`${name}: corrupt deflate data`);
    }
  }
}
