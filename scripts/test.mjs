// Runs the node:test suites (TypeScript through tsx). Node 20's --test takes no globs, so we list the files.
// Usage: node scripts/test.mjs [dir-or-file ...]   (default: test/unit)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(p, out) {
  if (statSync(p).isDirectory()) for (const f of readdirSync(p).sort()) collect(join(p, f), out);
  else if (/\.test\.ts$/.test(p)) out.push(p);
  return out;
}
const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test/unit'];
const files = roots.flatMap((r) => collect(r, []));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
