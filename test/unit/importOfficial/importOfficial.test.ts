// `import-official`: an experiment folder of the official code (clusters pickle + checkpoints, made here by
// python3-torch; skipped without it) becomes a finished run: images.txt in torchvision ImageFolder order, one
// checkpoint per epoch with that epoch's assignments, metrics (NMI(t, t-1), label NMI) and label histograms, the
// weights where the folder has them; a pickle that would run a command, and a folder of another size, are one
// line each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../../../src/trainer/run/checkpoint';
import { readRunManifest } from '../../../src/runfolder/manifest';
import { readImageNames } from '../../../src/runfolder/imageNames';
import { imageFolderOrder } from '../../../src/trainer/importOfficial/imageFolderOrder';
import { nmi } from '../../../src/trainer/metrics';
import { runCli } from '../cliRunner';
import { tempDir } from '../run/fixture';

const torchPython = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
);
const skip = torchPython ? false : 'python3 with torch is not available';
let root = '';
let imgs = '';
// torchvision's order: classes sorted, then each folder's files sorted by code point ('10' < '9'), sub-folders
// after their parent's files; files in the root and non-image files are not part of it.
const ORDER = ['cat/10.png', 'cat/9.png', 'cat/z.jpg', 'cat/sub/a.png', 'dog/1.bmp', 'dog/2.png', 'dog/3.png'];
const N = ORDER.length;

before(async () => {
  root = await tempDir('dc-import-');
  imgs = path.join(root, 'imgs');
  for (const [i, rel] of [...ORDER, 'dog/notes.txt', 'root.png'].entries()) {
    await fs.mkdir(path.dirname(path.join(imgs, rel)), { recursive: true });
    const px = Buffer.alloc(16 * 16 * 3, 20 * i);
    const img = sharp(px, { raw: { width: 16, height: 16, channels: 3 } });
    if (rel.endsWith('.txt')) await fs.writeFile(path.join(imgs, rel), 'not an image');
    else if (rel.endsWith('.jpg')) await img.jpeg().toFile(path.join(imgs, rel));
    else await img.png().toFile(path.join(imgs, rel)); // .bmp: PNG bytes under a BMP name; nothing decodes it here
  }
  await fs.rm(path.join(imgs, 'root.png'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('ImageFolder order: sorted classes, per-folder sorted files, torchvision extensions only', async () => {
  const o = await imageFolderOrder(imgs);
  assert.deepEqual(
    o.paths.map((p) => path.relative(imgs, p)),
    ORDER,
  );
  assert.deepEqual(o.classNames, ['cat', 'dog']);
  assert.deepEqual([...o.labels], [0, 0, 0, 0, 1, 1, 1]);
});

test('import-official: one checkpoint per epoch with its clusters, metrics, label histograms and weights where saved', {
  skip,
}, async () => {
  const exp = path.join(root, 'exp');
  const r = spawnSync(torchPython!, [path.join(__dirname, 'official_run.py'), exp, String(N), '3', '3'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = path.join(root, 'run');
  const res = await runCli(['import-official', exp, '--data', imgs, '--out', out]);
  assert.equal(res.code, 0, res.stderr + res.stdout);
  assert.match(res.stdout, /3 epochs of 7 images, weights for epoch\(s\) 0, 2/);
  // cat/sub/a.png sorts before cat/z.jpg for our reader, .bmp is not ours: said once.
  assert.match(res.stdout, /warning: .* lists its images in another order/);
  const m = await readRunManifest(out);
  assert.deepEqual(
    [m.status, m.epochsDone, m.importedFrom, m.config.arch, m.config.sobel, m.config.inputSize, m.config.k],
    ['finished', 3, exp, 'alexnet', true, 63, 3],
  );
  assert.deepEqual(m.dataset.classNames, ['cat', 'dog']);
  assert.deepEqual(
    readImageNames(out)!.map((p) => path.relative(imgs, p)),
    ORDER,
  );
  const labels = Int32Array.from([0, 0, 0, 0, 1, 1, 1]);
  let prev: Int32Array | undefined;
  for (let e = 0; e < 3; e++) {
    const ck = await loadCheckpoint(path.join(out, 'checkpoints', `epoch-000${e}`));
    try {
      assert.deepEqual(
        [...ck.assignments],
        Array.from({ length: N }, (_, i) => (i + e) % 3),
      );
      assert.equal(ck.metrics.nmiPrev, prev ? nmi(ck.assignments, prev, 'geometric') : undefined);
      assert.equal(ck.metrics.nmiLabels, nmi(ck.assignments, labels, 'geometric'));
      assert.deepEqual(ck.labelHistograms?.classNames, ['cat', 'dog']);
      assert.equal(ck.weights.has('conv1.weight'), e !== 1, `epoch ${e} weights`);
      if (e !== 1) assert.deepEqual(ck.weights.get('top.weight')?.shape, [4096, 3]);
      prev = ck.assignments;
    } finally {
      tf.dispose([...ck.weights.values()]);
    }
  }
  const events = readFileSync(path.join(out, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    events.filter((ev) => ev.type === 'epoch').map((ev) => ev.metrics.epoch),
    [0, 1, 2],
  );
  const inspect = await runCli(['inspect', out]);
  assert.equal(inspect.code, 0, inspect.stderr);

  // A folder of another size: one line, nothing written.
  await fs.mkdir(path.join(root, 'imgs2', 'a'), { recursive: true });
  await fs.copyFile(path.join(imgs, 'cat', '9.png'), path.join(root, 'imgs2', 'a', '1.png'));
  const wrong = await runCli([
    'import-official',
    exp,
    '--data',
    path.join(root, 'imgs2'),
    '--out',
    path.join(root, 'run2'),
  ]);
  assert.equal(wrong.code, 2);
  assert.match(
    wrong.stderr.trim(),
    /^deepcluster: .*clusters indexes 7 images but .*imgs2 holds 1 in torchvision ImageFolder order/,
  );
  assert.ok(!existsSync(path.join(root, 'run2')));
});

test('import-official: a clusters pickle that would run a command is refused, naming the global', {
  skip,
}, async () => {
  const exp = path.join(root, 'evil');
  await fs.mkdir(exp, { recursive: true });
  const marker = path.join(root, 'pwned');
  const py = `import os, pickle\nclass E:\n    def __reduce__(self):\n        return (os.system, ('touch ${marker}',))\npickle.dump([[[0], E()]], open('${path.join(exp, 'clusters')}', 'wb'), 2)\n`;
  assert.equal(spawnSync(torchPython!, ['-c', py]).status, 0);
  const res = await runCli(['import-official', exp, '--data', imgs, '--out', path.join(root, 'run3')]);
  assert.equal(res.code, 2);
  assert.match(
    res.stderr.trim(),
    /^deepcluster: .*clusters: refused global posix\.system: a clusters file holds only lists of ints$/,
  );
  assert.ok(!existsSync(marker));
});
