// Storages and tensors as a checkpoint describes them, and their conversion to float32. A storage's bytes are a
// view into the file's buffer (never copied until a tensor is converted), so inspecting a 500 MB file is cheap.

export type TorchDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

/** Storage class name (torch.FloatStorage, torch.cuda.HalfStorage, ...) -> dtype. */
export const STORAGE_DTYPES: Readonly<Record<string, TorchDtype>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

export const DTYPE_BYTES: Readonly<Record<TorchDtype, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export interface TorchStorage {
  readonly kind: 'storage';
  dtype: TorchDtype;
  /** The key the file's storages are stored under. */
  key: string;
  /** Elements, as the pickle says. */
  numel: number;
  /** 'cpu', 'cuda:0', ...: where it was saved from; we read every storage onto the CPU. */
  location: string;
  /** Filled in once the file's storage records are read. */
  bytes?: Uint8Array;
}

export interface TorchTensor {
  readonly kind: 'tensor';
  storage: TorchStorage;
  /** In elements. */
  offset: number;
  shape: number[];
  stride: number[];
}

export function isTorchTensor(x: unknown): x is TorchTensor {
  return typeof x === 'object' && x !== null && (x as TorchTensor).kind === 'tensor';
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Contiguous row-major strides of a shape. */
export function contiguousStride(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** IEEE half -> float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Reader of element i of a storage's bytes as a number (little-endian, as torch writes on every platform we run on). */
function elementReader(dtype: TorchDtype, bytes: Uint8Array): (i: number) => number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32':
      return (i) => v.getFloat32(i * 4, true);
    case 'float64':
      return (i) => v.getFloat64(i * 8, true);
    case 'float16':
      return (i) => halfToFloat(v.getUint16(i * 2, true));
    case 'bfloat16': {
      const f = new DataView(new ArrayBuffer(4));
      return (i) => {
        f.setUint32(0, v.getUint16(i * 2, true) << 16);
        return f.getFloat32(0);
      };
    }
    case 'int64':
      return (i) => Number(v.getBigInt64(i * 8, true));
    case 'int32':
      return (i) => v.getInt32(i * 4, true);
    case 'int16':
      return (i) => v.getInt16(i * 2, true);
    case 'int8':
      return (i) => v.getInt8(i);
    case 'uint8':
    case 'bool':
      return (i) => v.getUint8(i);
  }
}

/** Checks that every element the tensor's view reaches lies inside its storage. */
export function checkTensorBounds(t: TorchTensor, name: string): void {
  const bytes = t.storage?.bytes;
  if (!bytes) throw new Error(`${name}: storage ${t.storage?.key ?? '(none)'} has no data in the file`);
  const n = bytes.byteLength / DTYPE_BYTES[t.storage.dtype];
  if (t.shape.some((d) => !Number.isSafeInteger(d) || d < 0) || t.stride.length !== t.shape.length)
    throw new Error(`${name}: bad shape [${t.shape}] or stride [${t.stride}]`);
  if (numel(t.shape) === 0) return;
  let last = t.offset;
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i]! - 1) * t.stride[i]!;
  if (t.offset < 0 || last >= n || t.stride.some((s) => s < 0))
    throw new Error(`${name}: view [${t.shape}] at offset ${t.offset} reaches past its storage of ${n} elements`);
}

/** The tensor's values, row-major in its shape, as float32 (float64/float16/bfloat16/integers converted). */
export function tensorToFloat32(t: TorchTensor, name = 'tensor'): Float32Array {
  checkTensorBounds(t, name);
  const bytes = t.storage.bytes!;
  const n = numel(t.shape);
  const contiguous = contiguousStride(t.shape).every((s, i) => t.shape[i] === 1 || s === t.stride[i]);
  if (contiguous && t.storage.dtype === 'float32') {
    const start = bytes.byteOffset + t.offset * 4;
    // Aligned: view and copy at memcpy speed; otherwise through the byte view.
    if (start % 4 === 0) return new Float32Array(bytes.buffer, start, n).slice();
    // (a Buffer's slice() is a view of its pool, so copy into a fresh array)
    const copy = new Uint8Array(n * 4);
    copy.set(bytes.subarray(t.offset * 4, (t.offset + n) * 4));
    return new Float32Array(copy.buffer);
  }
  const read = elementReader(t.storage.dtype, bytes);
  const out = new Float32Array(n);
  if (contiguous) {
    for (let i = 0; i < n; i++) out[i] = read(t.offset + i);
    return out;
  }
  // General strided view: walk the output in row-major order with an index counter.
  const idx = new Array<number>(t.shape.length).fill(0);
  let src = t.offset;
  for (let i = 0; i < n; i++) {
    out[i] = read(src);
    for (let d = t.shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      src += t.stride[d]!;
      if (idx[d]! < t.shape[d]!) break;
      src -= t.stride[d]! * t.shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
