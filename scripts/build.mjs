// One esbuild bundle per target: the extension host (extension.js, trainerHost.js) and the trainer (trainer/cli.js
// and the worker it starts) each hold all their JavaScript, tfjs included. Outside the bundles stay only native
// code and wasm: sharp's libvips binaries (@img/*, which sharp loads by package name), Dawn (the `webgpu`
// package's dawn.node, see src/trainer/engine/dawnProbe.ts), and the tfjs .wasm files, copied beside the trainer.
import { build } from 'esbuild';
import asc from 'assemblyscript/asc';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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
  if (f.endsWith('.ts') && !targets.some((t) => t.out === `bench/${name}`))
    targets.push({ in: `src/bench/${f}`, out: `bench/${name}` });
}
// The SIMD heap loops (AssemblyScript), loaded beside cli.js by src/trainer/engine/wasm/heapPool.ts. They import
// tfjs's memory and must own nothing in it: the stub runtime, no exported or own memory, no data. One build for
// the threaded tfjs (shared memory, 4 GiB maximum, as tfjs declares it), one for the single-threaded one.
for (const [out, flags] of [
  ['heapSimd.wasm', ['--sharedMemory', '--maximumMemory', '65536', '--enable', 'simd,threads']],
  ['heapSimd.unshared.wasm', ['--enable', 'simd']],
]) {
  const { error, stderr } = await asc.main([
    'src/trainer/engine/wasm/assembly/heapSimd.ts',
    '-O3',
    '--runtime',
    'stub',
    '--importMemory',
    '--noExportMemory',
    ...flags,
    '--outFile',
    `dist/trainer/${out}`,
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
  if (imports.join() !== 'env.memory:memory')
    throw new Error(`${file}: imports ${imports.join(', ')}; only env.memory is allowed`);
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

// Native code stays outside (sharp's JS, @img/colour included, is bundled): sharp requires `@img/sharp-<platform>/sharp.node` by a computed name (esbuild leaves
// that require alone), Dawn is loaded by path. tfjs-node(-gpu), optional, is required by path at run time.
const nativeOutside = {
  name: 'native-outside',
  setup(b) {
    b.onResolve({ filter: /^(@img\/sharp-|webgpu$|webgpu\/|@tensorflow\/tfjs-node)/ }, (args) => ({
      path: args.path,
      external: true,
    }));
  },
};
// tfjs's backends register themselves when imported, but their package.json "sideEffects" lists omit the Node
// bundle that "main" points to, so esbuild drops an import that binds nothing (`import '@tensorflow/tfjs-backend-cpu'`)
// and `--backend cpu` would find no backend. Their modules are marked as having side effects.
const tfjsSideEffects = {
  name: 'tfjs-side-effects',
  setup(b) {
    b.onResolve(
      { filter: /^@tensorflow\/tfjs-(core|backend-cpu|backend-wasm|backend-webgpu)(\/.*)?$/ },
      async (args) => {
        if (args.pluginData === 'tfjs-side-effects') return undefined;
        const r = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'tfjs-side-effects',
        });
        if (r.errors.length) return { errors: r.errors };
        return { path: r.path, external: r.external, namespace: r.namespace, sideEffects: true };
      },
    );
  },
};
await build({
  plugins: [nativeOutside, tfjsSideEffects],
  entryPoints: targets.filter((t) => existsSync(t.in)),
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  sourcemap: true,
  logLevel: 'warning',
});

// tfjs-backend-wasm's Emscripten glue, now inside the bundle, looks for its .wasm files in the bundle's folder.
const require = createRequire(import.meta.url);
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
for (const out of ['dist/trainer', 'dist/bench']) {
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(out, f));
}

// The webview panels: one browser bundle per panel (its css next to it), everything bundled, no eval, so the
// pages run under a nonce-only CSP. Output: dist/webview/<panel>.js and <panel>.css.
const panels = ['clusterGrid', 'filters', 'curves', 'embeddingMap'].filter((p) => existsSync(`webview/${p}/main.ts`));
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
