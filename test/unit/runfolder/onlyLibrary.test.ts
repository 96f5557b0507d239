// The run directory has one library: no code outside src/runfolder/ names a file inside a run or builds a path
// into one, and there is one liveness check. This is the grep of issue 13, kept as a test so it stays true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(__dirname, '..', '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Code lines (comments dropped): documentation may name the files, code may not. */
function codeLines(file: string): { line: number; text: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ line: i + 1, text }))
    .filter(({ text }) => !/^\s*(\/\/|\*|\/\*)/.test(text));
}

// A run's file names as string literals, a path segment 'checkpoints', an epoch folder name built by hand, or the
// library's own tables used to build paths.
const RUN_PATH =
  /\b(run\.json|events\.jsonl|checkpoint\.json|trainer\.pid)\b|['"`/](run\.json|events\.jsonl|checkpoint\.json|trainer\.pid|images\.txt|skipped\.txt|metrics\.json|model\.json|weights\.bin|optimizer\.bin|assignments\.i32|distances\.f32|centroids\.f32|label-histograms\.json|exemplars\.json|top\.json|top-layer\.json|latest)['"`]|join\([^)]*['"`](checkpoints|evaluations|analysis|thumbs|tb)['"`]|epoch-\$\{String|padStart\(4, '0'\)|CHECKPOINT_FILES\[/;

test('no code outside src/runfolder/ knows where a file of a run lives', () => {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const rel = relative(SRC, file);
    if (rel.startsWith('runfolder/')) continue;
    // The official code's experiment folder (checkpoints/checkpoint_N.pth.tar) is its layout, not ours.
    if (rel === 'trainer/importOfficial/officialCheckpoints.ts') continue;
    // Help text tells people about the files; it reads none.
    if (rel === 'trainer/cli/help.ts') continue;
    for (const { line, text } of codeLines(file))
      if (RUN_PATH.test(text)) found.push(`src/${rel}:${line}: ${text.trim()}`);
  }
  assert.deepEqual(found, []);
});

test('one liveness check: only src/runfolder/liveness.ts asks whether a pid is alive', () => {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const rel = relative(SRC, file);
    if (rel === 'runfolder/liveness.ts') continue;
    for (const { line, text } of codeLines(file))
      if (/process\.kill\([^,]+,\s*0\)|\/proc\/\$\{/.test(text)) found.push(`src/${rel}:${line}: ${text.trim()}`);
  }
  assert.deepEqual(found, []);
});
