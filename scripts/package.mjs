// npm run package [-- --target <platform>]: builds, then packs a .vsix for one platform with @vscode/vsce.
// The JavaScript is bundled; what differs per platform is native code: sharp's libvips binaries (@img/*) and
// Dawn (webgpu's dawn.node). Only the target's are packed (a copy of .vscodeignore with their lines added).
// Without --target the package is for the machine that builds it (and says so, with its target).
// sharp's binaries for another platform come from npm:  npm install --no-save --os=darwin --cpu=arm64 sharp
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const target = flag('--target') ?? `${process.platform}-${process.arch}`;
const out = flag('--out') ?? flag('-o') ?? 'deepcluster.vsix';
const fail = (message) => {
  console.error(`package: ${message}`);
  process.exit(2);
};
if (!TARGETS.includes(target)) fail(`--target ${target} is not one of ${TARGETS.join(', ')}`);
const [platform, arch] = target.split('-');

/** The .vscodeignore lines that let the target's native files through; fails naming what is missing. */
function nativeLines() {
  const lines = [];
  const need = (path, how) => {
    if (!existsSync(path)) fail(`${path} is missing for ${target}: ${how}`);
  };
  // sharp: the addon package, and (not on Windows, whose addon package carries its DLLs) libvips.
  const addon = `node_modules/@img/sharp-${target}`;
  const sharpHow = `install sharp's binaries for it: npm install --no-save --os=${platform} --cpu=${arch} sharp`;
  need(addon, sharpHow);
  lines.push(`!${addon}/package.json`, `!${addon}/lib/**`);
  if (platform !== 'win32') {
    const libvips = `node_modules/@img/sharp-libvips-${target}`;
    need(libvips, sharpHow);
    // Only the shared library: its lib/ also holds glib headers and an index.js for building from source.
    const lib = readdirSync(join(libvips, 'lib')).filter((f) => /^libvips.*\.(so|dylib)/.test(f));
    if (!lib.length) fail(`${libvips}/lib holds no libvips library`);
    lines.push(`!${libvips}/package.json`, ...lib.map((f) => `!${libvips}/lib/${f}`));
  }
  // Dawn: webgpu ships one dawn.node per platform (macOS: one universal file).
  const dawn = `node_modules/webgpu/dist/${platform}-${platform === 'darwin' ? 'universal' : arch}.dawn.node`;
  need(dawn, 'the webgpu package has no Dawn build for this platform');
  lines.push('!node_modules/webgpu/package.json', `!${dawn}`);
  if (platform === 'win32') lines.push('!node_modules/webgpu/dist/d3dcompiler_47.dll');
  return lines;
}

const natives = nativeLines();
if (!args.includes('--no-build')) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
mkdirSync('.cache', { recursive: true });
const ignoreFile = join('.cache', `vscodeignore-${target}`);
writeFileSync(ignoreFile, `${readFileSync('.vscodeignore', 'utf8')}\n# ${target}: native code\n${natives.join('\n')}\n`);
const vsce = join('node_modules', '@vscode', 'vsce', 'vsce');
const r = spawnSync(process.execPath, [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--allow-missing-repository', '--no-rewrite-relative-links', '-o', out], { stdio: 'inherit' });
process.exit(r.status ?? 1);
