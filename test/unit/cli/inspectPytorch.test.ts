// `deepcluster inspect FILE.pth.tar`: a DeepCluster checkpoint made by torch (arch, k, Sobel, epoch, optimizer,
// parameters, layers), a state_dict that is not ours, and through the real CLI the malicious and truncated files
// (one line, exit 2). The torch case is skipped without python3-torch; the rest uses committed fixtures.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from '../../../src/trainer/cli/inspect';
import type { PytorchReport } from '../../../src/trainer/cli/inspectPytorch';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'trainer', 'cli.js');
const fixtures = join(__dirname, '..', '..', 'fixtures', 'pytorch');
const dir = mkdtempSync(join(tmpdir(), 'dc-inspect-pt-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const torchPython = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
);

test('inspect a DeepCluster AlexNet checkpoint made by torch: arch, k, Sobel, epoch, optimizer, params', {
  skip: torchPython ? false : 'python3 with torch is not available',
}, async () => {
  const file = join(dir, 'checkpoint.pth.tar');
  const script = join(__dirname, '..', 'model', 'pytorch', 'official_checkpoint.py');
  const r = spawnSync(torchPython!, [script, 'alexnet', '95', '1', 'zip', '1', '1', '1', '1', '17', file, dir], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const params = (JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { params: number }).params;
  const report = JSON.parse(await inspect(file, { json: true })) as PytorchReport;
  assert.equal(report.kind, 'pytorch');
  assert.equal(report.format, 'zip');
  const m = report.model!;
  assert.deepEqual(
    [m.options.arch, m.k, m.options.sobel, m.epoch, m.dataParallel, m.params],
    ['alexnet', 17, true, 42, true, params],
  );
  // SGD momentum buffers: one per trainable parameter tensor (5 convs x 4, fc6 and fc7 x 2, top x 2)
  assert.equal(m.optimizer?.tensors, 26);
  assert.deepEqual(report.topKeys, ['epoch', 'arch', 'state_dict', 'optimizer']);
  assert.equal(m.layers.find((l) => l.name === 'fc6')?.params, 256 * 2 * 2 * 4096 + 4096);
  const text = await inspect(file);
  for (const want of [
    /arch\s+alexnet/,
    /k\s+17 \(top_layer\)/,
    /sobel\s+yes/,
    /epoch\s+42/,
    /optimizer\s+state present, 26 tensors/,
    new RegExp(`params\\s+${params.toLocaleString('en-US')}`),
  ]) {
    assert.match(text, want);
  }
});

test('inspect a state_dict that is not a DeepCluster model: listed, with the reason', async () => {
  const report = JSON.parse(await inspect(join(fixtures, 'tiny-legacy.pth'), { json: true })) as PytorchReport;
  assert.equal(report.model, undefined);
  assert.match(
    report.notOurs!,
    /not a DeepCluster AlexNet, VGG16 or ResNet-50 state_dict \(0 conv layers under features\.N, no conv1\/layer4/,
  );
  assert.equal(report.tensors.length, 6);
  assert.deepEqual(report.tensors[1], { name: 'features.module.0.bias', shape: [3], dtype: 'float16' });
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

test('CLI: the os.system pickle and a truncated checkpoint are one line on stderr, exit 2', () => {
  const evil = join(dir, 'evil.pth');
  copyFileSync(join(fixtures, 'evil-legacy.pth'), evil);
  const r1 = cli('inspect', evil);
  assert.equal(r1.code, 2, r1.stderr);
  assert.equal(r1.stderr, 'deepcluster: evil.pth: refused global posix.system: not one that PyTorch checkpoints use');
  const cut = join(dir, 'cut.pth.tar');
  const bytes = readFileSync(join(fixtures, 'tiny-legacy.pth'));
  writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
  const r2 = cli('inspect', cut);
  assert.equal(r2.code, 2, r2.stderr);
  assert.equal(r2.stderr.split('\n').length, 1);
  assert.match(r2.stderr, /^deepcluster: cut\.pth\.tar: truncated: storage \S+ (is missing|needs \d+ bytes)/);
  const r3 = cli('inspect', join(dir, 'missing.pt'));
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /missing\.pt: no such file/);
});
