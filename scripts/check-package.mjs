// node scripts/check-package.mjs [deepcluster.vsix]: proves a packaged .vsix works on its own. It unpacks the
// package into a temp folder (no node_modules of this checkout reachable from there) and runs the packaged
// trainer: --backend wasm on the bundled sample (threaded wasm: the engine line must show every core's thread,
// our SIMD module loaded), --backend wasm on a generated PNG folder (sharp's libvips from the package), and
// --backend cpu on the sample (tfjs's cpu backend registered despite its package's sideEffects list). It also
// checks the package's file count and size against the limits of issue 13 (80 files, 15 MB as vsce counts: MiB),
// and that Dawn loads from the package's dist/native/ (webgpu is not in its node_modules).
// About a minute on 2 idle cores.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';

const vsix = resolve(process.argv[2] ?? 'deepcluster.vsix');
const root = mkdtempSync(join(tmpdir(), 'dc-vsix-'));
const problems = [];
let cli; // the packaged trainer, once unpacked
const say = (line) => console.log(`check-package: ${line}`);

/** A w x h RGB PNG of one colour (zlib from Node; no image library needed here). */
function png(w, h, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.of(0), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A run of the packaged trainer: its exit, output and engine line, said on the console. */
function runTrain(name, args) {
  const t = Date.now();
  const r = spawnSync(
    process.execPath,
    [cli, 'train', ...args, '--out', join(root, 'runs', name), '--cache', join(root, 'cache')],
    { encoding: 'utf8', timeout: 900_000 },
  );
  const engine = /^engine: .*$/m.exec(r.stdout + r.stderr)?.[0] ?? '(no engine line)';
  say(`${name}: exit ${r.status} in ${((Date.now() - t) / 1000).toFixed(0)} s; ${engine}`);
  return { r, engine };
}

/** A run that must succeed; returns its engine line. */
function train(name, args) {
  const { r, engine } = runTrain(name, args);
  if (r.status !== 0) problems.push(`${name}: exit ${r.status}\n${r.stderr.split('\n').slice(-8).join('\n')}`);
  return engine;
}

/** One step of 24 images at 8 px: what the slow backends can afford (24 is the least the final kNN-20 accepts). */
const TINY = ['--limit', '24', '--epochs', '1', '--k', '2', '--pca', '4', '--batch-size', '24', '--input-size', '8'];

try {
  const unzip = spawnSync('unzip', ['-q', vsix, '-d', join(root, 'vsix')], { encoding: 'utf8' });
  if (unzip.status !== 0) throw new Error(`unzip ${vsix} failed: ${unzip.stderr || unzip.error?.message}`);
  const ext = join(root, 'vsix', 'extension');
  const files = readdirSync(ext, { recursive: true }).filter((f) => statSync(join(ext, f)).isFile());
  const mb = statSync(vsix).size / 2 ** 20;
  say(`${files.length} files, ${mb.toFixed(2)} MB packed`);
  if (files.length > 80) problems.push(`${files.length} files (limit 80)`);
  if (mb > 15) problems.push(`${mb.toFixed(2)} MB packed (limit 15)`);
  if (!files.some((f) => /^dist\/native\/.*dawn\.node$/.test(f))) problems.push('no Dawn in dist/native/');
  const js = files.filter((f) => f.startsWith('node_modules') && /\.[cm]?js$/.test(f));
  if (js.length) problems.push(`JavaScript left in node_modules (should be bundled): ${js.join(', ')}`);
  cli = join(ext, 'dist', 'trainer', 'cli.js');

  const threads = availableParallelism();
  const wasm = train('wasm', ['--backend', 'wasm', '--limit', '200', '--epochs', '1', '--k', '5']);
  const want = `${Math.min(threads, 8)} thread`;
  if (threads > 1 && !wasm.includes(want)) problems.push(`wasm: expected ${want}s in "${wasm}"`);
  if (/unavailable|not loaded/.test(wasm)) problems.push(`wasm: degraded engine: ${wasm}`);

  const folder = join(root, 'pngs');
  for (const c of ['red', 'blue']) {
    mkdirSync(join(folder, c), { recursive: true });
    for (let i = 0; i < 20; i++)
      writeFileSync(join(folder, c, `${i}.png`), png(20 + i, 24, c === 'red' ? [200, 20 + i, 30] : [20, 30 + i, 200]));
  }
  train('folder', ['--data', folder, '--backend', 'wasm', '--epochs', '1', '--k', '2', '--pca', '8']);

  // Dawn from dist/native/: the adapter probe runs (a software adapter or none is fine; a missing module is not).
  const probe = runTrain('webgpu', ['--backend', 'webgpu', ...TINY]).r;
  const said = probe.stdout + probe.stderr;
  if (/Cannot find module|MODULE_NOT_FOUND|dawn\.node/.test(said))
    problems.push(`webgpu: Dawn did not load from the package: ${said.trim().split('\n').pop()}`);

  // One step of 24 images at 8 px (~30 s): the cpu backend is ~100x slower than wasm.
  const cpu = train('cpu', ['--backend', 'cpu', ...TINY]);
  if (!/^engine: cpu/.test(cpu)) problems.push(`cpu: ${cpu}`);
} catch (err) {
  problems.push(String(err?.message ?? err));
} finally {
  rmSync(root, { recursive: true, force: true });
}
if (problems.length) {
  for (const p of problems) console.error(`check-package: FAIL ${p}`);
  process.exit(1);
}
say('ok');
