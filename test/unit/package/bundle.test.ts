// The bundled trainer on its own: dist/trainer and the sample copied to a temp folder whose node_modules holds only
// the native parts the package ships (sharp's @img binaries, webgpu's Dawn), so no tfjs package can be reached.
// Threaded wasm must start (it reads tfjs's rollup aliases from the bundle) and --backend cpu must find its
// backend (tfjs's sideEffects lists would let esbuild drop the registration). scripts/check-package.mjs runs the
// same on a real .vsix.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const repo = join(__dirname, '..', '..', '..');
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'dc-bundle-'));
  cpSync(join(repo, 'package.json'), join(root, 'package.json'));
  cpSync(join(repo, 'dist', 'trainer'), join(root, 'dist', 'trainer'), {
    recursive: true,
    filter: (f) => !f.endsWith('.map'),
  });
  symlinkSync(join(repo, 'data'), join(root, 'data'));
  mkdirSync(join(root, 'node_modules', '@img'), { recursive: true });
  for (const p of readdirSync(join(repo, 'node_modules', '@img')).filter((p) => p.startsWith('sharp-'))) {
    symlinkSync(join(repo, 'node_modules', '@img', p), join(root, 'node_modules', '@img', p));
  }
  symlinkSync(join(repo, 'node_modules', 'webgpu'), join(root, 'node_modules', 'webgpu'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** One step of 24 images at 8 px: what the slow backends can afford. */
const TINY = ['--limit', '24', '--epochs', '1', '--k', '2', '--pca', '4', '--batch-size', '24', '--input-size', '8'];

function train(name: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'dist', 'trainer', 'cli.js'),
      'train',
      ...args,
      '--out',
      join(root, 'runs', name),
      '--cache',
      join(root, 'cache'),
    ],
    { encoding: 'utf8', timeout: 600_000, env },
  );
  assert.equal(r.status, 0, r.stderr);
  return /^engine: .*$/m.exec(r.stdout + r.stderr)?.[0] ?? '';
}

test('the bundle reaches no tfjs package: nothing of @tensorflow beside it', () => {
  assert.ok(!existsSync(join(root, 'node_modules', '@tensorflow')));
  for (const f of [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
    'heapSimd.wasm',
    'heapWorker.js',
  ]) {
    assert.ok(existsSync(join(root, 'dist', 'trainer', f)), f);
  }
});

test('bundled trainer: threaded wasm with our SIMD module trains a tiny run', { timeout: 600_000 }, () => {
  const engine = train('wasm', ['--backend', 'wasm', '--limit', '200', '--epochs', '1', '--k', '5']);
  const threads = Math.min(availableParallelism(), 8);
  assert.match(engine, new RegExp(`^engine: wasm .*wasm SIMD, ${threads} thread`), engine);
  assert.doesNotMatch(engine, /unavailable|not loaded/);
});

test('bundled trainer: --backend cpu finds its backend and trains', { timeout: 600_000 }, () => {
  // One step of 24 images at 8 px: the cpu backend is ~100x slower than wasm (24 is the least the final kNN-20
  // evaluation on a held-out 10% accepts).
  const engine = train('cpu', ['--backend', 'cpu', ...TINY]);
  assert.match(engine, /^engine: cpu/, engine);
});

test('bundled trainer: a native package in the user folder gets the tfjs-core inside the bundle', {
  timeout: 600_000,
}, () => {
  // As in test/unit/engine/machine.test.ts: decoy copies of tfjs-core and -backend-cpu beside a stand-in for
  // tfjs-node that registers "tensorflow" as the cpu kernels; loading a decoy throws.
  const native = join(root, 'native', 'node_modules', '@tensorflow');
  const pkg = (name: string, files: Record<string, string>) => {
    mkdirSync(join(native, name, 'deps', 'lib'), { recursive: true });
    writeFileSync(
      join(native, name, 'package.json'),
      JSON.stringify({ name: `@tensorflow/${name}`, version: '4.22.0', main: 'index.js' }),
    );
    for (const [f, text] of Object.entries(files)) writeFileSync(join(native, name, f), text);
  };
  for (const decoy of ['tfjs-core', 'tfjs-backend-cpu'])
    pkg(decoy, { 'index.js': 'throw new Error("own copy of tfjs loaded: " + __filename);' });
  pkg('tfjs-node', {
    'deps/lib/libtensorflow.so.2': '',
    'index.js': `const tf = require('@tensorflow/tfjs-core');
      const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');
      for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
      tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);`,
  });
  const engine = train('native', ['--backend', 'tensorflow', ...TINY], {
    ...process.env,
    DEEPCLUSTER_NATIVE_DIR: join(root, 'native'),
  });
  assert.match(engine, /^engine: tensorflow \(tfjs-node\)/, engine);
});
