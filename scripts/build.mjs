// One esbuild bundle per target. npm packages stay external: the trainer needs their native and .wasm files
// at their installed paths (tfjs-backend-wasm, sharp, webgpu's dawn.node).
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';

const targets = [
  { in: 'src/trainer/cli.ts', out: 'trainer/cli' },
  { in: 'src/bench/engine.ts', out: 'bench/engine' },
  // The VS Code extension host entry ('vscode' is provided by the host at runtime) and the trainer's parent watchdog.
  { in: 'src/extension/extension.ts', out: 'extension' },
  { in: 'src/extension/trainerHost.ts', out: 'trainerHost' },
];
for (const f of existsSync('src/bench') ? readdirSync('src/bench') : []) {
  const name = f.replace(/\.ts$/, '');
  if (f.endsWith('.ts') && !targets.some((t) => t.out === `bench/${name}`)) targets.push({ in: `src/bench/${f}`, out: `bench/${name}` });
}
await build({
  entryPoints: targets.filter((t) => existsSync(t.in)),
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  external: ['vscode'],
  sourcemap: true,
  logLevel: 'warning',
});
