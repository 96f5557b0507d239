// <run>/images.txt: the name of every dataset image, by index (its file path for image folders, `<file>#<i>` for
// IDX and CIFAR). A file name may hold a newline, a tab, quotes or bytes that are not UTF-8, so since format 2
// each line is a JSON string (newline, tab and quotes escaped; invalid bytes as the lone surrogates of
// fileNames.ts, which JSON writes as \udcXX) under a header line. Files without the header (format 1, one plain
// name per line) are still read. Plain Node, no tfjs: the extension, the panels and `inspect` read through here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic';
import { RUN_FILES, runFile } from './layout';

/** First line of a format-2 file. Format-1 names are absolute paths or `<file>#<i>`: none starts with '#'. */
export const IMAGE_NAMES_HEADER = '#deepcluster-image-names 2';

/** The text of images.txt for these names (ASCII plus UTF-8; every line a JSON string). */
export function formatImageNames(names: Iterable<string>): string {
  const lines = [IMAGE_NAMES_HEADER];
  for (const name of names) lines.push(JSON.stringify(name));
  return lines.join('\n') + '\n';
}

/** The names in an images.txt text, by index. `file` names the file in errors. */
export function parseImageNames(text: string, file: string = RUN_FILES.images): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const first = lines[0] ?? '';
  if (!first.startsWith('#deepcluster-image-names')) return lines; // format 1: one plain name per line
  const version = first.slice('#deepcluster-image-names'.length).trim();
  if (first !== IMAGE_NAMES_HEADER)
    throw new Error(`${file}: image-name format "${version}" is not one this version reads (2)`);
  return lines.slice(1).map((line, i) => {
    let name: unknown;
    try {
      name = JSON.parse(line);
    } catch {
      name = undefined;
    }
    if (typeof name !== 'string') throw new Error(`${file}: line ${i + 2} is not a JSON string`);
    return name;
  });
}

/** images.txt of a run: every image's name by index; undefined when the run has none (older runs). */
export function readImageNames(runDir: string): string[] | undefined {
  const file = runFile(runDir, 'images');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseImageNames(text, file);
}

/** images.txt beside another output file (`embed`'s .npy), in the same format as a run's. */
export async function writeImageNamesBeside(outFile: string, names: readonly string[]): Promise<string> {
  const file = join(dirname(outFile), RUN_FILES.images);
  await writeFileAtomic(file, formatImageNames(names));
  return file;
}

/** Writes <run>/images.txt: the name of each of the `count` dataset images, by index (unless `keep` and it exists). */
export async function writeImageNames(
  runDir: string,
  count: number,
  nameOf: (index: number) => string,
  keep = false,
): Promise<void> {
  if (keep && existsSync(runFile(runDir, 'images'))) return;
  await writeFileAtomic(
    runFile(runDir, 'images'),
    formatImageNames(Array.from({ length: count }, (_, i) => nameOf(i))),
  );
}
