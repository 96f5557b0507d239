// NumPy's .npy format (version 1.0) for a float32 N x D matrix, written row block by row block: a 10-byte
// preamble, a Python-literal header padded with spaces to a multiple of 64 bytes, then the C-order data.
import * as fs from 'node:fs/promises';

export function npyHeader(shape: readonly number[], descr = '<f4'): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + dict.length + 1; // preamble + dict + '\n'
  const padded = Math.ceil(unpadded / 64) * 64;
  const text = dict + ' '.repeat(padded - unpadded) + '\n';
  const out = new Uint8Array(padded);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), 10);
  return out;
}

/** Streams rows into FILE.tmp, then renames it to FILE once all N rows are in (no half-written .npy). */
export class NpyWriter {
  private rows = 0;
  private constructor(
    private readonly file: string,
    private readonly handle: fs.FileHandle,
    private readonly n: number,
    private readonly d: number,
  ) {}

  static async create(file: string, n: number, d: number): Promise<NpyWriter> {
    const handle = await fs.open(`${file}.tmp`, 'w');
    await handle.write(npyHeader([n, d]));
    return new NpyWriter(file, handle, n, d);
  }

  async append(block: Float32Array): Promise<void> {
    if (block.length % this.d) throw new Error(`npy: a block of ${block.length} values is not whole rows of ${this.d}`);
    // .npy says little-endian ('<f4'), which every platform Node runs on is.
    await this.handle.write(new Uint8Array(block.buffer, block.byteOffset, block.byteLength));
    this.rows += block.length / this.d;
  }

  async close(): Promise<void> {
    await this.handle.close();
    if (this.rows !== this.n) throw new Error(`npy: wrote ${this.rows} rows, the header says ${this.n}`);
    await fs.rename(`${this.file}.tmp`, this.file);
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fs.rm(`${this.file}.tmp`, { force: true });
  }
}
