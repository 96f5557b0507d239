// <run>/skipped.txt: the files the trainer could not read, with why. Names may hold tabs, newlines or bytes that
// are not UTF-8, so since format 2 each line is a JSON array [name, reason] under a header line (invalid bytes as
// the lone surrogates of fileNames.ts). Files without the header (format 1: "name<TAB>reason" lines, tabs and
// newlines in names replaced by spaces) are still read.
import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic';
import { runFile } from './layout';

export interface SkippedFile {
  path: string;
  reason: string;
}

export const SKIPPED_HEADER = '#deepcluster-skipped 2';

export function formatSkipped(skipped: readonly SkippedFile[]): string {
  return [SKIPPED_HEADER, ...skipped.map((s) => JSON.stringify([s.path, s.reason]))].join('\n') + '\n';
}

export function parseSkipped(text: string, file = 'skipped.txt'): SkippedFile[] {
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines[0] !== SKIPPED_HEADER) {
    if (lines[0]?.startsWith('#deepcluster-skipped'))
      throw new Error(`${file}: format "${lines[0].slice(21)}" is not one this version reads (2)`);
    return lines.map((l) => {
      const tab = l.indexOf('\t');
      return tab < 0 ? { path: l, reason: '' } : { path: l.slice(0, tab), reason: l.slice(tab + 1) };
    });
  }
  return lines.slice(1).map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      v = undefined;
    }
    if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string')
      throw new Error(`${file}: line ${i + 2} is not a [name, reason] pair`);
    return { path: v[0], reason: v[1] };
  });
}

/** Writes <run>/skipped.txt; returns its path. */
export async function writeSkipped(runDir: string, skipped: readonly SkippedFile[]): Promise<string> {
  const file = runFile(runDir, 'skipped');
  await writeFileAtomic(file, formatSkipped(skipped));
  return file;
}

/** The run's skipped files; none when the file is missing. */
export function readSkipped(runDir: string): SkippedFile[] {
  const file = runFile(runDir, 'skipped');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseSkipped(text, file);
}
