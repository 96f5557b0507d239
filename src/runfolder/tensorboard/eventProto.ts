// The few protocol-buffer messages of a TensorBoard event file, encoded by hand (tensorflow/core/util/event.proto
// and framework/summary.proto):
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
// simple_value is what tf.summary.scalar wrote in TF1 and what TensorBoard's scalars plugin still reads.

export interface Scalar {
  tag: string;
  value: number;
}

export interface EventRecord {
  /** Seconds since the Unix epoch. */
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars?: Scalar[];
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

class Writer {
  private readonly parts: number[] = [];
  varint(v: bigint | number): this {
    // int64 fields encode negatives as 10-byte two's complement varints.
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
    return this;
  }
  key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  bytes(field: number, b: Uint8Array): this {
    this.key(field, WIRE_BYTES).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  double(field: number, v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.key(field, WIRE_FIXED64);
    for (const x of b) this.parts.push(x);
    return this;
  }
  float(field: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.key(field, WIRE_FIXED32);
    for (const x of b) this.parts.push(x);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const utf8 = (s: string) => new TextEncoder().encode(s);

export function encodeEvent(e: EventRecord): Uint8Array {
  const w = new Writer().double(1, e.wallTime).key(2, WIRE_VARINT).varint(Math.round(e.step));
  if (e.fileVersion !== undefined) w.bytes(3, utf8(e.fileVersion));
  if (e.scalars) {
    const summary = new Writer();
    for (const s of e.scalars) summary.bytes(1, new Writer().bytes(1, utf8(s.tag)).float(2, s.value).done());
    w.bytes(5, summary.done());
  }
  return w.done();
}
