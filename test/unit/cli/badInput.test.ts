// Bad input through the real CLI: each is one line on stderr naming the file or flag, exit status 2, and
// nothing is lost (bad files are skipped and listed, an existing run is never overwritten).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'trainer', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'dc-bad-'));
const cache = join(root, 'cache');
const FAST = ['--epochs', '1', '--batch-size', '32', '--input-size', '16', '--backend', 'wasm', '--cache', cache];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

function assertOneLineError(r: ReturnType<typeof cli>, pattern: RegExp) {
  assert.equal(r.code, 2, `exit status 2 expected; stderr: ${r.stderr}`);
  assert.equal(r.stderr.split('\n').length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(r.stderr, /^deepcluster: /);
  assert.match(r.stderr, pattern);
}

test('missing dataset path names the path', () => {
  assertOneLineError(
    cli('train', '--data', join(root, 'nope'), '--out', join(root, 'o1'), ...FAST),
    /dataset not found: .*nope/,
  );
});

test('empty folder names the folder', () => {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  assertOneLineError(cli('train', '--data', empty, '--out', join(root, 'o2'), ...FAST), new RegExp(`${empty}`));
});

test('a folder of only unreadable files is an empty dataset', () => {
  const bad = join(root, 'allbad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'zero.png'), '');
  writeFileSync(join(bad, 'corrupt.jpg'), 'not a jpeg at all');
  assertOneLineError(cli('train', '--data', bad, '--out', join(root, 'o3'), ...FAST), /no readable image/i);
});

test('--k larger than the number of images', () => {
  assertOneLineError(cli('train', '--limit', '50', '--k', '60', '--out', join(root, 'o4'), ...FAST), /--k 60 .*50/);
});

test('--pca larger than the feature size', () => {
  assertOneLineError(cli('train', '--pca', '600', '--out', join(root, 'o5'), ...FAST), /--pca/);
});

test('unknown architecture and backend list the valid ones', () => {
  assertOneLineError(cli('train', '--arch', 'resnet101'), /--arch.*smallvgg.*alexnet.*vgg16.*resnet50/);
  assertOneLineError(cli('train', '--backend', 'cuda'), /--backend.*auto.*tensorflow.*webgpu.*wasm.*cpu/);
});

test('corrupt and zero-byte files are skipped, listed, and the run goes on; the run folder is then refused', async () => {
  const data = join(root, 'mixed');
  for (const cls of ['a', 'b']) {
    mkdirSync(join(data, cls), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const v = cls === 'a' ? 20 + i : 200 - i;
      await sharp({ create: { width: 20, height: 24, channels: 3, background: { r: v, g: v, b: 255 - v } } })
        .png()
        .toFile(join(data, cls, `${i}.png`));
    }
  }
  writeFileSync(join(data, 'a', 'zero.png'), '');
  writeFileSync(join(data, 'b', 'corrupt.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]));
  const out = join(root, 'mixed-run');
  const r = cli('train', '--data', data, '--k', '2', '--pca', '4', '--out', out, ...FAST);
  assert.equal(r.code, 0, r.stderr);
  const skipped = readFileSync(join(out, 'skipped.txt'), 'utf8');
  assert.match(skipped, /zero\.png/);
  assert.match(skipped, /corrupt\.jpg/);
  assert.equal(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).dataset.images, 24);
  // Training into the same folder again must not touch the finished run.
  const before = readFileSync(join(out, 'run.json'), 'utf8');
  assertOneLineError(
    cli('train', '--data', data, '--k', '2', '--pca', '4', '--out', out, ...FAST),
    /already holds run/,
  );
  assert.equal(readFileSync(join(out, 'run.json'), 'utf8'), before);
  assertOneLineError(cli('resume', out), /already finished all 1 epochs/);
});

test('a full disk is one line naming what was being written, and leaves no half checkpoint', (t) => {
  const mnt = join(root, 'small-disk');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`cannot mount a small tmpfs here (${m.stderr.trim() || 'not root'})`);
  try {
    const out = join(mnt, 'run');
    const r = cli('train', '--limit', '100', '--k', '4', '--pca', '8', '--out', out, ...FAST);
    assertOneLineError(r, /disk full while writing .*checkpoints/);
    assert.deepEqual(spawnSync('ls', ['-A', join(out, 'checkpoints')], { encoding: 'utf8' }).stdout.trim(), '');
    assert.ok(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).id, 'run.json is still whole');
  } finally {
    spawnSync('umount', [mnt]);
  }
});
