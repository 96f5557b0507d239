// An independent reader of TensorBoard event files, written from the format's specification for the tests
// (it shares no code with src/trainer/run/tensorboard): TFRecord framing (tensorflow/core/lib/io/record_writer.cc:
// uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data), then the Event/Summary
// protocol buffers (tensorflow/core/util/event.proto, framework/summary.proto) with a generic wire-format parser.

/** Bit-at-a-time CRC-32C (Castagnoli), no table. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return ~crc >>> 0;
}

export function mask(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 2 ** 32;
}

/** Splits a file into record payloads, checking both CRCs of every record. Throws on any mismatch. */
export function readRecords(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < file.length) {
    if (at + 12 > file.length) throw new Error(`truncated record header at byte ${at}`);
    const lo = view.getUint32(at, true);
    const hi = view.getUint32(at + 4, true);
    const length = hi * 2 ** 32 + lo;
    if (view.getUint32(at + 8, true) !== mask(crc32cBitwise(file.subarray(at, at + 8))))
      throw new Error(`bad length CRC at byte ${at}`);
    const start = at + 12;
    if (start + length + 4 > file.length) throw new Error(`truncated record at byte ${at}`);
    const data = file.subarray(start, start + length);
    if (view.getUint32(start + length, true) !== mask(crc32cBitwise(data)))
      throw new Error(`bad data CRC at byte ${at}`);
    out.push(data);
    at = start + length + 4;
  }
  return out;
}

interface Field {
  field: number;
  wire: number;
  /** varint as bigint; fixed64/fixed32 and length-delimited as their raw bytes. */
  varint?: bigint;
  bytes?: Uint8Array;
}

function parseMessage(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, varint: varint() });
    else if (wire === 1) fields.push({ field, wire, bytes: buf.subarray(i, (i += 8)) });
    else if (wire === 5) fields.push({ field, wire, bytes: buf.subarray(i, (i += 4)) });
    else if (wire === 2) {
      const n = Number(varint());
      fields.push({ field, wire, bytes: buf.subarray(i, (i += n)) });
    } else throw new Error(`unsupported wire type ${wire}`);
    if (i > buf.length) throw new Error('field runs past the message');
  }
  return fields;
}

export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; simpleValue: number }[];
}

const le = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export function decodeEvent(data: Uint8Array): ReadEvent {
  const e: ReadEvent = { wallTime: 0, step: 0, values: [] };
  for (const f of parseMessage(data)) {
    if (f.field === 1 && f.wire === 1) e.wallTime = le(f.bytes!).getFloat64(0, true);
    else if (f.field === 2 && f.wire === 0) e.step = Number(BigInt.asIntN(64, f.varint!));
    else if (f.field === 3 && f.wire === 2) e.fileVersion = new TextDecoder().decode(f.bytes);
    else if (f.field === 5 && f.wire === 2) {
      for (const v of parseMessage(f.bytes!)) {
        if (v.field !== 1 || v.wire !== 2) continue;
        let tag = '';
        let simpleValue = NaN;
        for (const x of parseMessage(v.bytes!)) {
          if (x.field === 1 && x.wire === 2) tag = new TextDecoder().decode(x.bytes);
          else if (x.field === 2 && x.wire === 5) simpleValue = le(x.bytes!).getFloat32(0, true);
        }
        e.values.push({ tag, simpleValue });
      }
    } else throw new Error(`unexpected Event field ${f.field} (wire ${f.wire})`);
  }
  return e;
}

export function readEventFile(file: Uint8Array): ReadEvent[] {
  return readRecords(file).map(decodeEvent);
}
