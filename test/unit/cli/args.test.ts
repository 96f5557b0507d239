import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { UsageError, parseArgs, type ParsedTrain } from '../../../src/trainer/cli/args';
import { validateAgainstDataset } from '../../../src/trainer/train/validateConfig';

const now = new Date(2025, 0, 31, 14, 25, 7);
const train = (...args: string[]) => parseArgs(['train', ...args], { cwd: '/home/u/proj', now }) as ParsedTrain;

test('train defaults: the v2 recipe on the small ResNet; --recipe paper follows the architecture', () => {
  const v = train();
  assert.equal(v.command, 'train');
  const { v2, ...rest } = v.config;
  assert.deepEqual(rest, {
    recipe: 'v2',
    arch: 'resnet',
    k: 100,
    pca: 64,
    inputSize: 28,
    batchSize: 128,
    lr: 0.1,
    momentum: 0.9,
    weightDecay: 1e-5,
    sobel: false,
    epochs: 20,
    seed: 31,
    backend: 'auto',
    clustering: 'kmeans',
    sampler: 'uniform',
    out: '/home/u/proj/runs/20250131-142507-resnet',
  });
  assert.deepEqual(v2, {
    heads: 3,
    temperature: 0.1,
    smallCrops: 2,
    hiddenDim: 512,
    embeddingDim: 128,
    warmupEpochs: 2,
    finalLrRatio: 0.001,
    kmeansIterations: 10,
  });
  const s = train('--recipe', 'paper');
  assert.deepEqual(
    { ...s.config },
    {
      recipe: 'paper',
      arch: 'smallvgg',
      k: 100,
      pca: 64,
      inputSize: 28,
      batchSize: 256,
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 1e-5,
      sobel: true,
      epochs: 15,
      seed: 31,
      backend: 'auto',
      clustering: 'kmeans',
      sampler: 'uniform',
      out: '/home/u/proj/runs/20250131-142507-smallvgg',
    },
  );
  assert.equal(s.json, false);
  assert.equal(s.explicit.size, 1);
  const a = train('--recipe', 'paper', '--arch', 'alexnet').config;
  assert.deepEqual([a.k, a.pca, a.inputSize, a.epochs, a.sobel, a.batchSize], [10000, 256, 224, 200, true, 256]);
  assert.equal(train('--arch', 'vgg16').config.out, '/home/u/proj/runs/20250131-142507-vgg16');
});

test('settings not given follow the dataset size; given ones stay', async () => {
  const { datasetSizeDefaults } = await import('../../../src/trainer/train/defaults');
  const v = train().config;
  const small = datasetSizeDefaults(v, 3000, new Set());
  assert.deepEqual([small.batchSize, small.lr, small.k, small.epochs], [32, 0.025, 75, 10]);
  const peer = datasetSizeDefaults(v, 20000, new Set());
  assert.deepEqual([peer.batchSize, peer.lr, peer.k, peer.epochs], [128, 0.1, 500, 10]);
  const tiny = datasetSizeDefaults(v, 40, new Set());
  assert.deepEqual([tiny.batchSize, tiny.k, tiny.epochs], [32, 10, 50]);
  const given = train('--batch-size', '64', '--k', '30', '--epochs', '3', '--lr', '0.2');
  const kept = datasetSizeDefaults(given.config, 3000, given.explicit);
  assert.deepEqual([kept.batchSize, kept.lr, kept.k, kept.epochs], [64, 0.2, 30, 3]);
  const paper = train('--recipe', 'paper').config;
  assert.equal(datasetSizeDefaults(paper, 3000, new Set()).batchSize, 64, 'paper: ~47 steps an epoch on 3 000 images');
  assert.equal(datasetSizeDefaults(paper, 20000, new Set()).batchSize, 256, "paper: the peer's batch at 20 000 images");
  assert.equal(datasetSizeDefaults(paper, 3000, new Set()).k, 100, 'paper keeps its k');
});

test('every train flag lands in the config, paths resolved against cwd', () => {
  const s = train(
    '--recipe',
    'paper',
    '--data',
    'data/fm',
    '--out',
    '../out',
    '--arch=vgg16',
    '--k',
    '50',
    '--pca',
    '4096',
    '--epochs',
    '3',
    '--batch-size',
    '64',
    '--backend',
    'wasm',
    '--seed',
    '0',
    '--limit',
    '5000',
    '--no-sobel',
    '--clustering',
    'pic',
    '--sampler',
    'official',
    '--lr',
    '1e-3',
    '--input-size',
    '96',
    '--micro-batch',
    '16',
    '--cache',
    '/tmp/c',
    '--json',
    '--keep-checkpoints',
    '3',
  );
  assert.deepEqual(s.config, {
    recipe: 'paper',
    arch: 'vgg16',
    k: 50,
    pca: 4096,
    inputSize: 96,
    batchSize: 64,
    lr: 0.001,
    momentum: 0.9,
    weightDecay: 1e-5,
    sobel: false,
    epochs: 3,
    seed: 0,
    backend: 'wasm',
    clustering: 'pic',
    sampler: 'official',
    limit: 5000,
    microBatch: 16,
    data: '/home/u/proj/data/fm',
    out: '/home/u/out',
    cacheDir: '/tmp/c',
    keepCheckpoints: 3,
  });
  assert.equal(s.json, true);
  assert.ok(s.explicit.has('inputSize') && s.explicit.has('sobel') && !s.explicit.has('momentum'));
  assert.equal(train('--no-sobel', '--sobel').config.sobel, true, 'the later of --sobel / --no-sobel wins');
  assert.equal(train('--sobel', '--no-sobel').config.sobel, false);
  assert.equal(train('--k', '5', '--k', '7').config.k, 7, 'a repeated flag: the last wins');
});

test('each bad value is a one-line error naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /^unknown flag --bogus for `deepcluster train`/],
    [['--arch', 'resnet101'], /^--arch: unknown arch 'resnet101'; valid: resnet, smallvgg, alexnet, vgg16, resnet50$/],
    [['--recipe', 'v3'], /^--recipe: unknown recipe 'v3'; valid: v2, paper$/],
    [['--backend', 'cuda'], /^--backend: unknown backend 'cuda'; valid: auto, tensorflow, webgpu, wasm, cpu$/],
    [['--clustering', 'dbscan'], /^--clustering: .*valid: kmeans, pic$/],
    [['--sampler', 'random'], /^--sampler: .*valid: uniform, official$/],
    [['--k', '1'], /^--k must be at least 2, got 1$/],
    [['--k', '0'], /^--k must be a positive integer, got '0'$/],
    [['--k', '2.5'], /^--k must be a positive integer, got '2.5'$/],
    [['--k', 'ten'], /^--k must be a positive integer, got 'ten'$/],
    [['--epochs', '-3'], /^--epochs must be a positive integer, got '-3'$/],
    [['--batch-size', '0'], /^--batch-size must be a positive integer/],
    [['--limit', '1e3'], /^--limit must be a positive integer/],
    [['--input-size', ''], /^--input-size needs a value$/],
    [['--micro-batch', 'x'], /^--micro-batch must be a positive integer/],
    [['--keep-checkpoints', '0'], /^--keep-checkpoints must be a positive integer/],
    [['--recipe', 'paper', '--micro-batch', '512'], /^--micro-batch 512 is larger than --batch-size 256$/],
    [['--lr', '0'], /^--lr must be a positive number, got '0'$/],
    [['--lr', 'fast'], /^--lr must be a positive number/],
    [['--seed', '-1'], /^--seed must be an integer from 0 to 4294967295, got '-1'$/],
    [['--recipe', 'paper', '--pca', '513'], /^--pca 513 is larger than the feature size of smallvgg \(512\)$/],
    [['--arch', 'alexnet', '--pca', '4097'], /^--pca 4097 is larger than the feature size of alexnet \(4096\)$/],
    [['--data'], /^--data needs a value$/],
    [['--data', '--k', '5'], /^--data needs a value$/],
    [['--json=yes'], /^--json takes no value/],
    [['extra'], /^unexpected argument 'extra' for `deepcluster train`/],
  ];
  for (const [args, re] of cases) {
    assert.throws(
      () => train(...args),
      (err: Error) => {
        assert.ok(err instanceof UsageError, args.join(' '));
        assert.match(err.message, re, args.join(' '));
        assert.ok(!err.message.includes('\n'), args.join(' '));
        return true;
      },
    );
  }
});

test('resume, inspect, setup-gpu and help', () => {
  assert.deepEqual(parseArgs(['resume', 'runs/a'], { cwd: '/p' }), {
    command: 'resume',
    run: '/p/runs/a',
    json: false,
    backend: undefined,
  });
  assert.deepEqual(parseArgs(['resume', '/r', '--json', '--backend', 'cpu']), {
    command: 'resume',
    run: '/r',
    json: true,
    backend: 'cpu',
  });
  assert.deepEqual(parseArgs(['inspect', 'x/epoch-0003', '--json'], { cwd: '/p' }), {
    command: 'inspect',
    path: path.resolve('/p/x/epoch-0003'),
    json: true,
  });
  assert.deepEqual(parseArgs(['setup-gpu', '--cpu']), { command: 'setup-gpu', cpu: true });
  assert.throws(() => parseArgs(['resume']), { message: /^`deepcluster resume` needs RUN$/ });
  assert.throws(() => parseArgs(['inspect', 'a', 'b']), /takes one CHECKPOINT\|RUN, got 'b' too/);
  assert.throws(() => parseArgs(['resume', 'r', '--k', '3']), {
    message: /^unknown flag --k for `deepcluster resume`/,
  });
  assert.throws(() => parseArgs(['trian']), {
    message: /^unknown command 'trian'; commands: train, resume, inspect, eval, setup-gpu/,
  });
  assert.throws(() => parseArgs(['--k', '3']), { message: /^unknown flag --k; a command comes first/ });

  for (const argv of [[], ['--help'], ['-h'], ['help']]) {
    const h = parseArgs(argv);
    assert.equal(h.command, 'help');
    assert.match(h.command === 'help' ? h.text : '', /deepcluster train \[flags\]/);
  }
  for (const argv of [
    ['train', '--help'],
    ['train', '--k', '3', '-h'],
    ['help', 'train'],
  ]) {
    const h = parseArgs(argv);
    assert.ok(h.command === 'help' && h.topic === 'train' && h.text.includes('--sampler NAME'));
    assert.ok(h.command === 'help' && h.text.includes('default smallvgg 100, alexnet/vgg16 10000'));
  }
  const r = parseArgs(['inspect', '--help']);
  assert.ok(r.command === 'help' && r.topic === 'inspect');
});

test('validateAgainstDataset: --k larger than the images, empty dataset', () => {
  const c = train('--k', '50', '--data', '/d/x').config;
  assert.doesNotThrow(() => validateAgainstDataset(c, 50));
  assert.throws(() => validateAgainstDataset(c, 49), {
    message: /^--k 50 is larger than the number of images \(49\) in \/d\/x$/,
  });
  assert.throws(() => validateAgainstDataset(train().config, 0), {
    message: /^the bundled sample holds no readable images$/,
  });
});

test('import-official EXP_DIR --data DIR: paths resolved, default out; a missing --data or EXP_DIR is one line', () => {
  assert.deepEqual(parseArgs(['import-official', 'exp', '--data', 'imgs', '--json'], { cwd: '/p', now }), {
    command: 'import-official',
    exp: '/p/exp',
    data: '/p/imgs',
    out: '/p/runs/20250131-142507-imported',
    json: true,
  });
  assert.equal(
    (parseArgs(['import-official', '/e', '--data', '/d', '--out', 'o'], { cwd: '/p' }) as { out: string }).out,
    '/p/o',
  );
  assert.throws(() => parseArgs(['import-official', 'exp']), {
    message: /^`deepcluster import-official` needs --data \(the image folder the run was trained on\)$/,
  });
  assert.throws(() => parseArgs(['import-official', '--data', 'd']), {
    message: /^`deepcluster import-official` needs EXP_DIR/,
  });
  assert.throws(() => parseArgs(['import-official', 'e', '--data', 'd', '--k', '3']), {
    message: /^unknown flag --k for `deepcluster import-official`/,
  });
  const h = parseArgs(['import-official', '--help']);
  assert.ok(h.command === 'help' && h.text.includes('torchvision ImageFolder order'));
  assert.equal((parseArgs(['train', '--init', 'm.pth'], { cwd: '/p' }) as ParsedTrain).config.init, '/p/m.pth');
});
