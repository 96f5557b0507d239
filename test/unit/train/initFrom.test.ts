// `train --init CKPT`: the checkpoint decides arch / Sobel / fc6's input size and the other defaults follow that
// architecture; a flag that disagrees is one line; RGB conv1 filters on grey data are summed (exactly the grey
// image repeated into RGB); and a paper run started from a PyTorch AlexNet (official layout, written by
// python3-torch; skipped without it) begins from those weights, with a fresh top layer of the new k.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../../src/trainer/engine';
import { createModel } from '../../../src/trainer/model';
import { parseArgs, UsageError, type ParsedTrain } from '../../../src/trainer/cli/args';
import { applyInitWeights, configForInit, type InitWeights } from '../../../src/trainer/train/initFrom';
import { convertConvWeight } from '../../../src/trainer/model/importPytorch';
import { loadCheckpoint, saveCheckpoint } from '../../../src/trainer/run/checkpoint';
import { createRunDir, newRunManifest, readRunManifest } from '../../../src/runfolder/manifest';
import { runCli } from '../cliRunner';
import { fakeConfig, fakeDataset, fakeState, tempDir } from '../run/fixture';

const torchPython = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
);
let root = '';

before(async () => {
  await initEngine('wasm');
  root = await tempDir('dc-init-');
});
after(() => rmSync(root, { recursive: true, force: true }));

const parse = (...args: string[]) =>
  parseArgs(['train', ...args], { cwd: '/p', now: new Date(2025, 0, 1) }) as ParsedTrain;
const fakeInit = (options: InitWeights['options'], head = new Map<string, tf.Tensor>()): InitWeights => ({
  file: '/m/checkpoint.pth.tar',
  description: `${options.arch} from checkpoint.pth.tar (PyTorch)`,
  options,
  trunk: new Map(),
  head,
});

test('configForInit: the checkpoint sets arch, Sobel and fc6 input size; other unset settings follow its architecture', () => {
  const alexnet = fakeInit({ arch: 'alexnet', inputSize: 95, inputChannels: 3, sobel: true, seed: 0 });
  const p = parse('--recipe', 'paper', '--k', '7', '--init', 'm.pth');
  const c = configForInit(p.config, alexnet, p.explicit);
  assert.deepEqual(
    [c.arch, c.sobel, c.inputSize, c.k, c.pca, c.init],
    ['alexnet', true, 95, 7, 256, '/m/checkpoint.pth.tar'],
  );
  const bad = parse('--recipe', 'paper', '--arch', 'vgg16', '--init', 'm.pth');
  assert.throws(
    () => configForInit(bad.config, alexnet, bad.explicit),
    (e: Error) => e instanceof UsageError && /--arch says vgg16/.test(e.message) && !e.message.includes('\n'),
  );
  const size = parse('--recipe', 'paper', '--input-size', '224', '--init', 'm.pth');
  assert.throws(() => configForInit(size.config, alexnet, size.explicit), /--input-size says 224/);
  // A ResNet takes any size: --input-size stands; a v2 run keeps a DeepCluster-v2 head's sizes.
  const head = new Map<string, tf.Tensor>([
    ['head.fc1.weight', tf.zeros([2048, 64])],
    ['head.fc2.weight', tf.zeros([64, 16])],
  ]);
  const r50 = fakeInit({ arch: 'resnet50', inputSize: 224, inputChannels: 3, sobel: false, seed: 0 }, head);
  const v = parse('--input-size', '64', '--init', 'm.pth');
  const cv = configForInit(v.config, r50, v.explicit);
  assert.deepEqual(
    [cv.arch, cv.sobel, cv.inputSize, cv.v2?.hiddenDim, cv.v2?.embeddingDim],
    ['resnet50', false, 64, 64, 16],
  );
  tf.dispose([...head.values()]);
});

test('applyInitWeights: RGB conv1 on grey data = the grey image repeated into RGB', () => {
  const rgb = createModel({ arch: 'resnet', inputSize: 28, inputChannels: 3, sobel: false, seed: 3 });
  const grey = createModel({ arch: 'resnet', inputSize: 28, inputChannels: 1, sobel: false, seed: 4 });
  try {
    // Non-trivial BatchNorm statistics so the comparison covers them.
    for (const [name, v] of rgb.namedWeights()) if (name.endsWith('runningVar')) v.assign(tf.add(v, 0.5));
    applyInitWeights(grey, { ...fakeInit(rgb.options), trunk: rgb.namedWeights() as Map<string, tf.Tensor> });
    const x = tf.randomUniform([2, 28, 28, 1], -1, 1, 'float32', 5) as tf.Tensor4D;
    const a = grey.features(x);
    const b = rgb.features(tf.concat([x, x, x], 3) as tf.Tensor4D);
    const d = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
    assert.ok(d < 1e-4, `features differ by ${d}`);
    assert.throws(
      () =>
        applyInitWeights(createModel({ arch: 'resnet', inputSize: 28, inputChannels: 2, sobel: false, seed: 0 }), {
          ...fakeInit(rgb.options),
          trunk: rgb.namedWeights() as Map<string, tf.Tensor>,
        }),
      /conv1 takes 3 channels, the data has 2/,
    );
  } finally {
    rgb.dispose();
    grey.dispose();
  }
});

test('train --recipe paper --init official AlexNet .pth.tar: starts from its weights, top layer re-created for --k', {
  skip: torchPython ? false : 'python3 with torch is not available',
}, async () => {
  const ckpt = path.join(root, 'alexnet.pth.tar');
  const py = path.join(__dirname, '..', 'model', 'pytorch', 'official_checkpoint.py');
  // AlexNet-BN + Sobel at 95 px (fc6 takes 256 x 2 x 2), legacy format, DataParallel features, k 30.
  const r = spawnSync(torchPython!, [py, 'alexnet', '95', '1', 'legacy', '1', '0', '0', '1', '30', ckpt, root], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const imgs = path.join(root, 'imgs');
  for (let i = 0; i < 12; i++) {
    const cls = i % 2 ? 'b' : 'a';
    await fs.mkdir(path.join(imgs, cls), { recursive: true });
    const px = Buffer.alloc(40 * 40 * 3);
    for (let j = 0; j < px.length; j++) px[j] = ((j * (i + 3)) >> (i % 2 ? 3 : 5)) & 255;
    await sharp(px, { raw: { width: 40, height: 40, channels: 3 } })
      .png()
      .toFile(path.join(imgs, cls, `${i}.png`));
  }
  const out = path.join(root, 'run');
  // lr 1e-12: the weights after one epoch are the checkpoint's (to float precision), so the test sees where it started.
  const run = await runCli([
    'train',
    '--recipe',
    'paper',
    '--init',
    ckpt,
    '--data',
    imgs,
    '--out',
    out,
    '--k',
    '3',
    '--pca',
    '4',
    '--epochs',
    '1',
    '--batch-size',
    '4',
    '--lr',
    '1e-12',
    '--backend',
    'wasm',
    '--cache',
    path.join(root, 'cache'),
  ]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout + run.stderr, /starting from alexnet\+Sobel from alexnet\.pth\.tar/);
  const m = await readRunManifest(out);
  assert.deepEqual(
    [m.config.arch, m.config.sobel, m.config.inputSize, m.config.k, m.config.init],
    ['alexnet', true, 95, 3, ckpt],
  );
  const ck = await loadCheckpoint(path.join(out, 'checkpoints', 'epoch-0000'));
  try {
    assert.deepEqual(ck.weights.get('top.weight')?.shape, [4096, 3]);
    // conv1 as PyTorch saved it (features.module.0.weight, [96, 2, 11, 11] after Sobel), converted to NHWC.
    const { readPytorchCheckpoint, findStateDict, tensorToFloat32 } = await import(
      '../../../src/trainer/model/pytorch'
    );
    const t = findStateDict(await readPytorchCheckpoint(ckpt)).get('features.module.0.weight')!;
    const want = convertConvWeight({ shape: t.shape, data: tensorToFloat32(t, 'conv1') });
    const d = tf.max(tf.abs(tf.sub(ck.weights.get('conv1.weight')!, want))).dataSync()[0]!;
    assert.ok(d < 1e-6, `conv1 moved ${d} from the checkpoint's`);
    want.dispose();
  } finally {
    tf.dispose([...ck.weights.values(), ...(ck.optimizer ? [...ck.optimizer.state.values()] : [])]);
  }
  assert.ok(existsSync(path.join(out, 'images.txt')));
  const clash = await runCli([
    'train',
    '--init',
    ckpt,
    '--arch',
    'resnet',
    '--data',
    imgs,
    '--out',
    path.join(root, 'run2'),
  ]);
  assert.equal(clash.code, 2);
  assert.match(
    clash.stderr.trim(),
    /^deepcluster: --init .*alexnet\.pth\.tar is alexnet\+Sobel with arch alexnet, but --arch says resnet$/,
  );
  const missing = await runCli([
    'train',
    '--init',
    path.join(root, 'nope.pth'),
    '--data',
    imgs,
    '--out',
    path.join(root, 'run3'),
  ]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr.trim(), /nope\.pth: no such file$/);
});

test('train --init RUN --backend auto times a training step of the checkpoint model, then starts from its weights', {
  timeout: 360_000,
}, async (t) => {
  const { findWebgpuAdapter } = await import('../../../src/trainer/engine/webgpuDawn');
  try {
    await findWebgpuAdapter();
  } catch (err) {
    return t.skip(`no Vulkan/WebGPU adapter here, so a single candidate: ${(err as Error).message}`);
  }
  // A smallvgg checkpoint at 28 px, RGB, no Sobel: none of train's defaults, so the measurement must follow it.
  const src = path.join(root, 'src-run');
  await createRunDir(
    src,
    newRunManifest({
      config: fakeConfig(src),
      dataset: fakeDataset(),
      engine: { backend: 'wasm', device: 'CPU', provider: 'wasm', software: true, skipped: [] },
    }),
  );
  const net = createModel({ arch: 'smallvgg', inputSize: 28, inputChannels: 3, sobel: false, seed: 5 });
  const conv1 = net.namedWeights().get('conv1.weight')!.dataSync().slice();
  await saveCheckpoint(src, {
    ...fakeState(0),
    optimizer: undefined,
    weights: net.namedWeights(),
    modelOptions: { ...net.options },
  });
  net.dispose();
  const imgs = path.join(root, 'imgs-auto');
  for (let i = 0; i < 12; i++) {
    await fs.mkdir(path.join(imgs, i % 2 ? 'b' : 'a'), { recursive: true });
    const px = Buffer.alloc(40 * 40 * 3);
    for (let j = 0; j < px.length; j++) px[j] = ((j * (i + 3)) >> (i % 2 ? 3 : 5)) & 255;
    await sharp(px, { raw: { width: 40, height: 40, channels: 3 } })
      .png()
      .toFile(path.join(imgs, i % 2 ? 'b' : 'a', `${i}.png`));
  }
  const out = path.join(root, 'run-auto');
  const run = await runCli(
    [
      'train',
      '--recipe',
      'paper',
      '--init',
      src,
      '--data',
      imgs,
      '--out',
      out,
      '--k',
      '3',
      '--pca',
      '4',
      '--epochs',
      '1',
      '--batch-size',
      '4',
      '--lr',
      '1e-12',
      '--backend',
      'auto',
      '--cache',
      path.join(root, 'cache-auto'),
    ],
    { DEEPCLUSTER_AUTO_SOFTWARE: '1' },
  );
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const engineLine = (run.stdout + run.stderr)
    .split('\n')
    .find((l) => l.startsWith('engine: ') && l.includes('measured'));
  t.diagnostic(engineLine ?? '(no engine line with times)');
  assert.match(engineLine ?? '', /measured a training step: (wasm|webgpu) \d+ ms, (webgpu|wasm) \d+ ms$/);
  // Read on the cpu backend before the choice, the weights reached the chosen one (lr 1e-12: they did not move).
  const ck = await loadCheckpoint(path.join(out, 'checkpoints', 'epoch-0000'));
  try {
    const got = ck.weights.get('conv1.weight')!.dataSync();
    let d = 0;
    for (let i = 0; i < conv1.length; i++) d = Math.max(d, Math.abs(got[i]! - conv1[i]!));
    assert.ok(d < 1e-6, `conv1 moved ${d} from the checkpoint's`);
  } finally {
    tf.dispose([...ck.weights.values(), ...(ck.optimizer ? [...ck.optimizer.state.values()] : [])]);
  }
});
