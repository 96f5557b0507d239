// One esbuild bundle per target. npm packages stay external: the trainer needs their native and .wasm files
// at their installed paths (tfjs-backend-wasm, sharp, webgpu's dawn.node).
import { build } from 'esbuild';
import asc from 'assemblyscript/asc';
import { readdirSync, readFileSync, existsSync } from 'node:fs';

const targets = [
  { in: 'src/trainer/cli.ts', out: 'trainer/cli' },
  // The wasm kernels' heap-loop worker, started by src/trainer/engine/wasm/heapPool.ts from beside cli.js.
  { in: 'src/trainer/engine/wasm/heapWorker.ts', out: 'trainer/heapWorker' },
  { in: 'src/bench/engine.ts', out: 'bench/engine' },
  // The VS Code extension host entry ('vscode' is provided by the host at runtime) and the trainer's parent watchdog.
  { in: 'src/extension/extension.ts', out: 'extension' },
  { in: 'src/extension/trainerHost.ts', out: 'trainerHost' },
];
for (const f of existsSync('src/bench') ? readdirSync('src/bench') : []) {
  const name = f.replace(/\.ts$/, '');
  if (f.endsWith('.ts') && !targets.some((t) => t.out === `bench/${name}`)) targets.push({ in: `src/bench/${f}`, out: `bench/${name}` });
}
// The SIMD heap loops (AssemblyScript), loaded beside cli.js by src/trainer/engine/wasm/heapPool.ts. They import
// tfjs's memory and must own nothing in it: the stub runtime, no exported or own memory, no data. One build for
// the threaded tfjs (shared memory, 4 GiB maximum, as tfjs declares it), one for the single-threaded one.
for (const [out, flags] of [
  ['heapSimd.wasm', ['--sharedMemory', '--maximumMemory', '65536', '--enable', 'simd,threads']],
  ['heapSimd.unshared.wasm', ['--enable', 'simd']],
]) {
  const { error, stderr } = await asc.main([
    'src/trainer/engine/wasm/assembly/heapSimd.ts', '-O3', '--runtime', 'stub', '--importMemory', '--noExportMemory', ...flags,
    '--outFile', `dist/trainer/${out}`,
  ]);
  if (error) {
    console.error(stderr.toString());
    throw error;
  }
  ownsNothing(`dist/trainer/${out}`);
}

/** Fails the build if a module would write into tfjs's heap on its own: a data, global or start section (a
 *  string literal, a static array or a runtime would add one), or an import other than the memory. */
function ownsNothing(file) {
  const bytes = readFileSync(file);
  const mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`);
  if (imports.join() !== 'env.memory:memory') throw new Error(`${file}: imports ${imports.join(', ')}; only env.memory is allowed`);
  const names = { 6: 'global', 8: 'start', 11: 'data' };
  for (let at = 8; at < bytes.length; ) {
    const id = bytes[at++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      size |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (names[id]) throw new Error(`${file} has a ${names[id]} section: it must own nothing in tfjs's memory`);
    at += size;
  }
}

// tfjs-core's deep ESM files (dist/register_all_gradients and what it imports) cannot be loaded by Node from
// node_modules (extensionless imports), so they are bundled; every other package stays external.
const tfjsCoreDeep = {
  name: 'bundle-tfjs-core-deep-imports',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@tensorflow/tfjs-core/dist/')) return undefined;
      if (args.importer.includes('/node_modules/@tensorflow/tfjs-core/dist/') && !args.path.startsWith('.')) return { path: args.path, external: true };
      return { path: args.path, external: true };
    });
  },
};
await build({
  plugins: [tfjsCoreDeep],
  entryPoints: targets.filter((t) => existsSync(t.in)),
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});

// The webview panels: one browser bundle per panel (its css next to it), everything bundled, no eval, so the
// pages run under a nonce-only CSP. Output: dist/webview/<panel>.js and <panel>.css.
const panels = ['clusterGrid', 'filters', 'curves'].filter((p) => existsSync(`webview/${p}/main.ts`));
await build({
  entryPoints: panels.map((p) => ({ in: `webview/${p}/main.ts`, out: p })),
  outdir: 'dist/webview',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
