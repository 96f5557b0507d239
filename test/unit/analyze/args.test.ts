import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../../src/trainer/cli/args';

test('visualize and thumbs arguments', () => {
  assert.deepEqual(
    parseArgs(['visualize', 'r/checkpoints/epoch-0003', '--layer', 'conv3', '--filters', '0-2,7', '--json'], {
      cwd: '/w',
    }),
    {
      command: 'visualize',
      checkpoint: '/w/r/checkpoints/epoch-0003',
      layer: 'conv3',
      filters: [0, 1, 2, 7],
      top: 9,
      json: true,
      backend: undefined,
      iterations: undefined,
      lr: undefined,
    },
  );
  const v = parseArgs(
    ['visualize', 'r', '--layer', 'conv1', '--top', '16', '--iterations', '50', '--lr', '3', '--backend', 'wasm'],
    { cwd: '/w' },
  );
  assert.ok(
    v.command === 'visualize' &&
      v.filters === undefined &&
      v.top === 16 &&
      v.iterations === 50 &&
      v.lr === 3 &&
      v.backend === 'wasm',
  );
  assert.deepEqual(
    parseArgs(['thumbs', 'r', '--clusters', '0-1', '--by', 'activation', '--per-cluster', '4', '--size', '96'], {
      cwd: '/w',
    }),
    {
      command: 'thumbs',
      checkpoint: '/w/r',
      indices: undefined,
      clusters: [0, 1],
      perCluster: 4,
      size: 96,
      by: 'activation',
      json: false,
      backend: undefined,
    },
  );
  const t = parseArgs(['thumbs', 'r', '--indices', '1,2,3']);
  assert.ok(
    t.command === 'thumbs' && t.by === 'centroid' && t.size === 64 && t.perCluster === 16 && t.indices!.length === 3,
  );
  assert.equal(parseArgs(['visualize', '--help']).command, 'help');
  assert.match((parseArgs(['help', 'thumbs']) as { text: string }).text, /--by centroid/);
});

test('visualize and thumbs: bad arguments name the flag', () => {
  const bad: [string[], RegExp][] = [
    [['visualize', 'r'], /needs --layer/],
    [['visualize', '--layer', 'conv1'], /needs CHECKPOINT/],
    [['visualize', 'r', '--layer', 'conv1', '--filters', '5-2'], /^--filters: range 5-2 runs backwards/],
    [['visualize', 'r', '--layer', 'conv1', '--top', '0'], /^--top must be a positive integer/],
    [['visualize', 'r', '--layer', 'conv1', '--lr', '-1'], /--lr/],
    [['thumbs', 'r'], /needs either --indices or --clusters/],
    [['thumbs', 'r', '--indices', '1', '--clusters', '2'], /needs either --indices or --clusters/],
    [['thumbs', 'r', '--clusters', '1', '--by', 'magic'], /^--by: unknown by 'magic'; valid: centroid, activation/],
    [['thumbs', 'r', '--indices', 'x'], /^--indices: 'x' is not a number/],
    [['thumbs', 'r', '--indices', '1', '--size', '5000'], /--size must be at most 1024/],
    [['thumbs', 'r', '--indices', '1', '--layer', 'conv1'], /unknown flag --layer for `deepcluster thumbs`/],
  ];
  for (const [argv, pattern] of bad)
    assert.throws(
      () => parseArgs(argv),
      (e: unknown) => e instanceof UsageError && pattern.test(e.message),
      argv.join(' '),
    );
});
