// Shared test helpers: temp dirs, the trainerHost built to plain JS, waiting on conditions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

export const FIXTURES = resolve(__dirname, 'fixtures');
export const FAKE_TRAINER = join(FIXTURES, 'fakeTrainer.js');

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'dc-ext-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

let hostJs: string | undefined;
/** src/extension/trainerHost.ts bundled as the build does, once per test process. */
export function builtHost(): string {
  if (hostJs) return hostJs;
  const out = join(mkdtempSync(join(tmpdir(), 'dc-host-')), 'trainerHost.js');
  buildSync({
    entryPoints: [resolve(__dirname, '../../../src/extension/trainerHost.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
  hostJs = out;
  return out;
}

export async function waitFor(cond: () => boolean, ms = 5000, step = 25): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, step));
  }
  return cond();
}
