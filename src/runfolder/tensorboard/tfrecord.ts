// TFRecord framing: uint64 length (little-endian), masked CRC-32C of those 8 bytes, the data, masked CRC-32C
// of the data. TensorBoard's event files are a sequence of such records, each holding one Event.
import { maskedCrc32c } from './crc32c';

export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}
