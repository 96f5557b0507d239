import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../../src/trainer/cli/args';

test('embed: flags, defaults and one-line errors naming the flag', () => {
  const cwd = '/w';
  const r = parseArgs(['embed', '--model', 'ck.pth.tar', '--data', 'imgs', '--out', 'o/f.npy', '--limit', '9'], { cwd });
  assert.deepEqual(r, { command: 'embed', model: '/w/ck.pth.tar', data: '/w/imgs', out: '/w/o/f.npy', batchSize: 32, limit: 9, cacheDir: undefined, backend: undefined, json: false });
  assert.throws(() => parseArgs(['embed', '--data', 'd', '--out', 'f.npy'], { cwd }), /`deepcluster embed` needs --model/);
  assert.throws(() => parseArgs(['embed', '--model', 'm', '--data', 'd', '--out', 'f.csv'], { cwd }), /--out must name a \.npy file, got 'f\.csv'/);
  assert.throws(() => parseArgs(['embed', '--model', 'm', '--data', 'd', '--out', 'f.npy', '--k', '3'], { cwd }), /unknown flag --k for `deepcluster embed`/);
  assert.throws(() => parseArgs(['embed', '--model', 'm', '--data', 'd', '--out', 'f.npy', '--batch-size', '0'], { cwd }), /--batch-size must be a positive integer/);
  assert.equal(parseArgs(['embed', '--help']).command, 'help');
});
