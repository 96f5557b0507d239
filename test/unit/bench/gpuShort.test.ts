// bench:gpu --short on this machine's WebGPU adapter (lavapipe in CI): the command finishes, and every workload
// is either timed or carries a one-line reason; nothing is silently missing. Speed is what the command reports,
// not what this test checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', '..', 'dist', 'bench', 'gpu.js');

interface Item {
  ok: boolean;
  error?: string;
  forwardMs?: number;
  trainStepMs?: number;
  ms?: number;
  seconds?: { epoch: number };
}
interface Result {
  backend: string;
  device?: string;
  skipped?: string;
  models: (Item & { model: string })[];
  kmeans?: Item;
  epoch?: Item;
}

test('bench:gpu --short times every workload on webgpu or says why not', { timeout: 600_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-gpu-short-'));
  try {
    const json = join(dir, 'gpu.json');
    const r = spawnSync(process.execPath, [SCRIPT, '--short', '--backends', 'webgpu,tensorflow', '--json', json], {
      encoding: 'utf8',
      timeout: 590_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(readFileSync(json, 'utf8')) as { wallSeconds: number; results: Result[] };
    t.diagnostic(`wall ${out.wallSeconds} s`);
    const [webgpu, tensorflow] = out.results;
    assert.equal(tensorflow.backend, 'tensorflow');
    if (!tensorflow.device)
      assert.match(tensorflow.skipped!, /tfjs-node|tensorflow/, 'a missing native backend says why');
    if (webgpu.skipped) {
      t.skip(`no WebGPU adapter: ${webgpu.skipped}`);
      return;
    }
    assert.deepEqual(
      webgpu.models.map((m) => m.model),
      ['smallvgg', 'alexnet'],
    );
    for (const item of [...webgpu.models, webgpu.kmeans!, webgpu.epoch!]) {
      assert.ok(item.ok, `failed: ${item.error}`);
    }
    for (const m of webgpu.models) assert.ok(m.forwardMs! > 0 && m.trainStepMs! > 0);
    assert.ok(webgpu.kmeans!.ms! > 0);
    assert.ok(webgpu.epoch!.seconds!.epoch > 0);
    assert.match(r.stdout, /\| webgpu \| .* \| alexnet 63x63x3 batch 2 \| \d+ \| \d+ \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
