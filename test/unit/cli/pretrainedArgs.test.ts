import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../../src/trainer/cli/args';

test('embed: flags, defaults and one-line errors naming the flag', () => {
  const cwd = '/w';
  const r = parseArgs(['embed', '--model', 'ck.pth.tar', '--data', 'imgs', '--out', 'o/f.npy', '--limit', '9'], {
    cwd,
  });
  assert.deepEqual(r, {
    command: 'embed',
    model: '/w/ck.pth.tar',
    data: '/w/imgs',
    out: '/w/o/f.npy',
    batchSize: 32,
    limit: 9,
    cacheDir: undefined,
    backend: undefined,
    json: false,
  });
  assert.throws(
    () => parseArgs(['embed', '--data', 'd', '--out', 'f.npy'], { cwd }),
    /`deepcluster embed` needs --model/,
  );
  assert.throws(
    () => parseArgs(['embed', '--model', 'm', '--data', 'd', '--out', 'f.csv'], { cwd }),
    /--out must name a \.npy file, got 'f\.csv'/,
  );
  assert.throws(
    () => parseArgs(['embed', '--model', 'm', '--data', 'd', '--out', 'f.npy', '--k', '3'], { cwd }),
    /unknown flag --k for `deepcluster embed`/,
  );
  assert.throws(
    () => parseArgs(['embed', '--model', 'm', '--data', 'd', '--out', 'f.npy', '--batch-size', '0'], { cwd }),
    /--batch-size must be a positive integer/,
  );
  assert.equal(parseArgs(['embed', '--help']).command, 'help');
});

test('cluster: flags, the default out folder, and one-line errors', () => {
  const cwd = '/w';
  const now = new Date(2026, 0, 2, 3, 4, 5);
  const r = parseArgs(['cluster', '--model', 'm.pth', '--data', 'd', '--k', '12', '--pca', '8', '--seed', '3'], {
    cwd,
    now,
  });
  assert.deepEqual(r, {
    command: 'cluster',
    model: '/w/m.pth',
    data: '/w/d',
    out: '/w/runs/20260102-030405-pretrained',
    k: 12,
    pca: 8,
    batchSize: 32,
    limit: undefined,
    cacheDir: undefined,
    backend: undefined,
    seed: 3,
    json: false,
  });
  assert.throws(() => parseArgs(['cluster', '--model', 'm.pth'], { cwd }), /`deepcluster cluster` needs --data/);
  assert.throws(
    () => parseArgs(['cluster', '--model', 'm', '--data', 'd', '--k', '1'], { cwd }),
    /--k must be at least 2, got 1/,
  );
  assert.throws(
    () => parseArgs(['cluster', '--model', 'm', '--data', 'd', 'extra'], { cwd }),
    /unexpected argument 'extra'/,
  );
});
