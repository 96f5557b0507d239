// Tolerant JSON reading for run files a trainer may be writing right now: a missing or unparsable file reads as
// undefined, because every writer renames complete files into place and the next read sees the new one.
import * as fs from 'node:fs';

export function readJsonIfAny<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
