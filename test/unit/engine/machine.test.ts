// The real probes on this machine: wasm starts and can train a conv, a missing or broken native TensorFlow
// is an error that says why, and a native package in the user folder gets the trainer's tfjs-core instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../../src/trainer/engine';
import { cudaProblem, cudaStatus } from '../../../src/trainer/engine/sharedLibraries';

function fakeNativePackage(root: string, name: string, files: Record<string, string>): void {
  const dir = join(root, 'node_modules', name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

test('wasm starts with the requested threads and trains a conv (gradient kernels registered)', async () => {
  const info = await initEngine('wasm', { threads: 2 });
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(info.backend, 'wasm');
  assert.equal(info.provider, 'wasm');
  assert.equal(info.software, true);
  assert.ok(info.threads! >= 1 && info.threads! <= 2, `threads ${info.threads}`);
  assert.match(info.device, /^CPU, wasm SIMD, \d threads?$/);
  assert.equal(info.skipped.length, 3);
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  const w = tf.ones([2, 2, 1, 1]) as tf.Tensor4D;
  // d/dw sum(conv2d(x, w)): each filter tap sums the 2x2 windows it sees.
  const dw = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'valid')))(w);
  assert.deepEqual(Array.from(await dw.data()), [12, 16, 24, 28]);
});

test('explicit tensorflow without tfjs-node installed is a one-line error naming setup-gpu', async () => {
  process.env.DEEPCLUSTER_NATIVE_DIR = mkdtempSync(join(tmpdir(), 'dc-native-empty-'));
  await assert.rejects(initEngine('tensorflow'), (err: Error) => {
    assert.match(
      err.message,
      /^The tensorflow backend is unavailable: neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed \(looked in the project's node_modules and .*dc-native-empty-.*\); install one with: deepcluster setup-gpu$/,
    );
    return true;
  });
  assert.equal(tf.getBackend(), 'wasm', 'no fallback changed the backend');
});

test('a broken or mismatched tfjs-node install, and tfjs-node-gpu without CUDA, are explained', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dc-native-broken-'));
  process.env.DEEPCLUSTER_NATIVE_DIR = root;
  fakeNativePackage(root, '@tensorflow/tfjs-node', {
    'package.json': '{"name":"@tensorflow/tfjs-node","version":"4.22.0"}',
  });
  await assert.rejects(
    initEngine('tensorflow'),
    /tfjs-node: @tensorflow\/tfjs-node at .* has no libtensorflow \(its install-time download failed\); rerun: deepcluster setup-gpu/,
  );
  fakeNativePackage(root, '@tensorflow/tfjs-node', {
    'package.json': '{"name":"@tensorflow/tfjs-node","version":"4.10.0"}',
  });
  await assert.rejects(
    initEngine('tensorflow'),
    /@tensorflow\/tfjs-node@4\.10\.0 .* does not match the trainer's tfjs-core 4\.22\.0/,
  );

  fakeNativePackage(root, '@tensorflow/tfjs-node-gpu', {
    'package.json': '{"name":"@tensorflow/tfjs-node-gpu","version":"4.22.0"}',
    'deps/lib/libtensorflow.so.2': '',
  });
  const problem = cudaProblem(cudaStatus());
  if (problem === undefined) return; // a machine with CUDA 11: nothing to explain
  await assert.rejects(initEngine('tensorflow'), (err: Error) => {
    assert.ok(err.message.includes(`tfjs-node-gpu: ${problem}`), err.message);
    assert.match(err.message, /no NVIDIA driver found|libcudart\.so\.11\.0/);
    return true;
  });
});

test("a native package in the user folder registers on the trainer's tfjs-core, not on its own copy", async () => {
  const root = mkdtempSync(join(tmpdir(), 'dc-native-fake-'));
  process.env.DEEPCLUSTER_NATIVE_DIR = root;
  // npm would put a second tfjs-core next to tfjs-node; loading it would register the backend where we never look.
  const decoy = 'throw new Error("the native package loaded its own copy of tfjs: " + __filename);';
  fakeNativePackage(root, '@tensorflow/tfjs-core', {
    'package.json': '{"name":"@tensorflow/tfjs-core","version":"4.22.0","main":"index.js"}',
    'index.js': decoy,
  });
  fakeNativePackage(root, '@tensorflow/tfjs-backend-cpu', {
    'package.json': '{"name":"@tensorflow/tfjs-backend-cpu","version":"4.22.0","main":"index.js"}',
    'index.js': decoy,
  });
  // A stand-in for tfjs-node: registers "tensorflow" as the cpu backend under another name.
  fakeNativePackage(root, '@tensorflow/tfjs-node', {
    'package.json': '{"name":"@tensorflow/tfjs-node","version":"4.22.0","main":"index.js"}',
    'deps/lib/libtensorflow.so.2': '',
    'index.js': `
      const tf = require('@tensorflow/tfjs-core');
      const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');
      for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
      tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);`,
  });
  const info = await initEngine('tensorflow');
  assert.equal(info.backend, 'tensorflow');
  assert.equal(info.provider, 'tfjs-node');
  assert.match(info.device, /^CPU, libtensorflow, \d+ cores$/);
  assert.equal(tf.getBackend(), 'tensorflow');
  const y = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2]));
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3, 4]);
});
