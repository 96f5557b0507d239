// npm run package [-- --target <platform>]: builds, then packs a .vsix for one platform with @vscode/vsce.
// The JavaScript is bundled; what differs per platform is native code: sharp's libvips binaries (@img/*) and
// Dawn (webgpu's dawn.node). Only the target's are packed (a copy of .vscodeignore with their lines added).
// Without --target the package is for the machine that builds it (and says so, with its target).
// To stay small (the linux-x64 package is 14.6 MiB) it carries Dawn without its symbol table (dist/native/, `strip`
// from binutils when it is there) and a 1 000-image sample of the Fashion-MNIST test split (dist/sample/).
// sharp's binaries for another platform come from npm:  npm install --no-save --os=darwin --cpu=arm64 sharp
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

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
  // Dawn: webgpu ships one dawn.node per platform (macOS: one universal file); the trainer loads the copy in
  // dist/native/ when it is there (src/trainer/engine/dawnProbe.ts).
  const dawnName = `${platform}-${platform === 'darwin' ? 'universal' : arch}.dawn.node`;
  need(`node_modules/webgpu/dist/${dawnName}`, 'the webgpu package has no Dawn build for this platform');
  lines.push(`!dist/native/${dawnName}`);
  if (platform === 'win32') lines.push('!dist/native/d3dcompiler_47.dll');
  return { lines, dawnName };
}

/** dist/native/: Dawn for the target, without its symbol table when this machine can strip that platform's binary. */
function stageDawn(dawnName) {
  rmSync('dist/native', { recursive: true, force: true });
  mkdirSync('dist/native', { recursive: true });
  const dest = join('dist', 'native', dawnName);
  copyFileSync(join('node_modules', 'webgpu', 'dist', dawnName), dest);
  if (platform === 'win32')
    copyFileSync(
      join('node_modules', 'webgpu', 'dist', 'd3dcompiler_47.dll'),
      join('dist', 'native', 'd3dcompiler_47.dll'),
    );
  // ELF (Linux) binaries only: binutils' strip does not know Mach-O or PE files.
  if (platform === 'linux') {
    const s = spawnSync('strip', ['--strip-unneeded', dest], { stdio: 'inherit' });
    if (s.error || s.status !== 0)
      console.warn('package: strip is not available (binutils); Dawn ships with its symbol table');
  }
}

/** dist/sample/fashion-mnist: the first SAMPLE_IMAGES images and labels of the repository's test split. */
const SAMPLE_IMAGES = 1000;
function stageSample() {
  const from = join('data', 'fashion-mnist');
  const to = join('dist', 'sample', 'fashion-mnist');
  rmSync(join('dist', 'sample'), { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  const idx = (file, headerBytes, itemBytes) => {
    const raw = gunzipSync(readFileSync(join(from, file)));
    const head = Buffer.from(raw.subarray(0, headerBytes));
    head.writeUInt32BE(SAMPLE_IMAGES, 4); // IDX: magic, then the item count, big-endian
    writeFileSync(
      join(to, file),
      gzipSync(Buffer.concat([head, raw.subarray(headerBytes, headerBytes + SAMPLE_IMAGES * itemBytes)]), { level: 9 }),
    );
  };
  idx('t10k-images-idx3-ubyte.gz', 16, 28 * 28);
  idx('t10k-labels-idx1-ubyte.gz', 8, 1);
  for (const f of ['LICENSE', 'README.md']) cpSync(join(from, f), join(to, f));
}

const natives = nativeLines();
if (!args.includes('--no-build')) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
stageDawn(natives.dawnName);
stageSample();
mkdirSync('.cache', { recursive: true });
const ignoreFile = join('.cache', `vscodeignore-${target}`);
writeFileSync(
  ignoreFile,
  `${readFileSync('.vscodeignore', 'utf8')}\n# ${target}: native code\n${natives.lines.join('\n')}\n`,
);
const vsce = join('node_modules', '@vscode', 'vsce', 'vsce');
const r = spawnSync(
  process.execPath,
  [
    vsce,
    'package',
    '--target',
    target,
    '--ignoreFile',
    ignoreFile,
    '--allow-missing-repository',
    '--no-rewrite-relative-links',
    '-o',
    out,
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
