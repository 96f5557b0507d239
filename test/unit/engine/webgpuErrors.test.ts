// WebGPU errors are errors: Dawn's validation errors abort the step with one line naming the op, nothing runs
// after one, and a binding over the adapter's limit is refused before it is recorded (or before training).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine, releaseEngine } from '../../../src/trainer/engine';
import { findWebgpuAdapter } from '../../../src/trainer/engine/webgpuDawn';
import {
  checkBindings,
  describeGpuError,
  effectiveBindingLimit,
  webgpuChecked,
  WebgpuError,
  webgpuFailure,
} from '../../../src/trainer/engine/webgpuGuard';
import { webgpuFitProblem } from '../../../src/trainer/train/webgpuLimits';
import { summarizeAny } from '../../../src/trainer/model';

after(() => releaseEngine());

const LAVAPIPE_LIMIT = 134217728;

// What Dawn 0.3.10 on lavapipe said for a 128 MiB + 256 B binding (bind group labelled by the guard).
const BINDING_ERROR = {
  constructor: { name: 'GPUValidationError' },
  message:
    'Binding size (134217984) of [Buffer (unlabeled)] is larger than the maximum storage buffer binding size (134217728).\n' +
    ' - While validating entries[0] against { binding: 0, visibility: ShaderStage::Compute, buffer: {type: BufferBindingType::Storage} }.\n' +
    ' - While validating [BindGroupDescriptor ""MatMulPackedProgram -> [2,4096]""] against [BindGroupLayout (unlabeled)]\n' +
    ' - While calling [Device].CreateBindGroup([BindGroupDescriptor ""MatMulPackedProgram -> [2,4096]""]).\n',
};

test('a Dawn error becomes one line naming the op and the limit', () => {
  const line = describeGpuError(BINDING_ERROR, 'SomethingElse');
  assert.equal(
    line,
    'webgpu validation error in MatMulPackedProgram -> [2,4096]: Binding size (134217984) of [Buffer (unlabeled)] is larger than the maximum storage buffer binding size (134217728).',
  );
  const oom = describeGpuError(
    {
      constructor: { name: 'GPUOutOfMemoryError' },
      message: 'Allocation failed\n - While calling [Device].CreateBuffer([BufferDescriptor])',
    },
    'Conv2DMMProgram -> [8,55,55,96]',
  );
  assert.equal(oom, 'webgpu out of GPU memory in Conv2DMMProgram -> [8,55,55,96]: Allocation failed');
});

test('a binding over maxStorageBufferBindingSize is refused before it is recorded', () => {
  const program = { constructor: { name: 'MatMulPackedProgram' }, outputShape: [2, 4096] };
  assert.throws(
    () => checkBindings(program, [{ shape: [2, 9216] }, { shape: [9216, 4096] }], LAVAPIPE_LIMIT),
    (e: Error) => {
      assert.ok(e instanceof WebgpuError);
      assert.equal(e.message.split('\n').length, 1);
      assert.match(
        e.message,
        /^webgpu: MatMulPackedProgram would bind its input 1 \[9216,4096\] \(144\.0 MiB\), over this adapter's maxStorageBufferBindingSize of 128\.0 MiB/,
      );
      return true;
    },
  );
  checkBindings(program, [{ shape: [2, 9216] }, { shape: [9216, 2048] }], LAVAPIPE_LIMIT);
});

test('on a 128 MiB limit AlexNet and VGG16 at 224 px fit (dense layers are split); a conv weight or activation over it is refused', () => {
  const alexnet = (inputSize: number) =>
    summarizeAny({ arch: 'alexnet', inputSize, inputChannels: 3, sobel: true, seed: 1 });
  assert.equal(webgpuFitProblem('alexnet', alexnet(224), 32, LAVAPIPE_LIMIT), undefined);
  assert.equal(webgpuFitProblem('alexnet', alexnet(96), 32, LAVAPIPE_LIMIT), undefined);
  const vgg = (inputSize: number) =>
    summarizeAny({ arch: 'vgg16', inputSize, inputChannels: 3, sobel: false, seed: 1 });
  assert.equal(webgpuFitProblem('vgg16', vgg(224), 8, LAVAPIPE_LIMIT), undefined, 'VGG16 at batch 8 on lavapipe');
  assert.equal(webgpuFitProblem('vgg16', vgg(224), 32, 2 ** 31), undefined, 'a large GPU binds VGG16 at batch 32');
  assert.match(
    webgpuFitProblem('vgg16', vgg(224), 128, 2 ** 30)!,
    /^vgg16's conv\S* output at batch 128 is 1568\.0 MiB, .* use a smaller --batch-size/,
  );
  // conv9, the first 3x3x512x512 filter (9 MiB), cannot be split.
  assert.match(
    webgpuFitProblem('vgg16', vgg(32), 1, 8 * 2 ** 20)!,
    /^vgg16's conv9: its weight is 9\.0 MiB, over this adapter's maxStorageBufferBindingSize of 8\.0 MiB/,
  );
  // A dense layer is refused only when one column of it (its input size) is over the limit.
  const fc = (inUnits: number) => [
    { name: 'fc6', kind: 'dense' as const, outputShape: [4096], params: inUnits * 4096 + 4096, trainable: true },
  ];
  assert.equal(webgpuFitProblem('wide', fc(2 ** 20), 1, 4 * 2 ** 20), undefined);
  assert.match(
    webgpuFitProblem('wide', fc(2 ** 21), 1, 4 * 2 ** 20)!,
    /^wide's fc6: one column of its weight is 8\.0 MiB/,
  );
});

test('DEEPCLUSTER_WEBGPU_MAX_BINDING_BYTES lowers the binding limit, never raises it', () => {
  const env = (v?: string) => ({ DEEPCLUSTER_WEBGPU_MAX_BINDING_BYTES: v });
  assert.equal(effectiveBindingLimit(LAVAPIPE_LIMIT, env()), LAVAPIPE_LIMIT);
  assert.equal(effectiveBindingLimit(LAVAPIPE_LIMIT, env('')), LAVAPIPE_LIMIT);
  assert.equal(effectiveBindingLimit(LAVAPIPE_LIMIT, env('8388608')), 8388608);
  assert.equal(effectiveBindingLimit(LAVAPIPE_LIMIT, env(String(2 ** 33))), LAVAPIPE_LIMIT);
  assert.throws(() => effectiveBindingLimit(LAVAPIPE_LIMIT, env('8M')), /must be a positive integer, got "8M"/);
});

async function adapterOrSkip(t: { skip(msg: string): void }): Promise<boolean> {
  try {
    await findWebgpuAdapter();
    return true;
  } catch (err) {
    t.skip(`no Vulkan/WebGPU adapter here: ${(err as Error).message}`);
    return false;
  }
}

interface DeviceLike {
  createBuffer(d: { size: number; usage: number }): unknown;
}
const device = () => (tf.backend() as unknown as { device: DeviceLike }).device;

test('an injected validation error aborts the step with one line, and nothing runs after it', {
  timeout: 60_000,
}, async (t) => {
  if (!(await adapterOrSkip(t))) return;
  await initEngine('webgpu', { allowSoftware: true });
  const ok = await webgpuChecked('training step', async () => (await tf.add(tf.ones([4]), 1).data())[0]);
  assert.equal(ok, 2, 'a clean step returns its value');
  const step = webgpuChecked('training step', async () => {
    const y = tf.mul(tf.ones([4096]), 3);
    device().createBuffer({ size: 4, usage: 0 }); // invalid: a buffer with no usage
    return (await y.data())[0];
  });
  await assert.rejects(step, (e: Error) => {
    assert.ok(e instanceof WebgpuError, `not a WebgpuError: ${e}`);
    assert.equal(e.message.split('\n').length, 1, e.message);
    assert.match(
      e.message,
      /^training step: webgpu validation error in BinaryOpProgram -> \[4096\]: Buffer usages must not be 0\.$/,
    );
    return true;
  });
  assert.throws(() => tf.add(tf.ones([4096]), 1), /earlier; nothing more runs on this device/);
  await assert.rejects(
    webgpuChecked('training step', async () => 0),
    /^Error|training step: webgpu validation error/,
  );
  releaseEngine();
});

test('an error outside any step (uncapturederror) stops the next dispatch', { timeout: 60_000 }, async (t) => {
  if (!(await adapterOrSkip(t))) return;
  await initEngine('webgpu', { allowSoftware: true });
  await tf.add(tf.ones([4]), 1).data();
  device().createBuffer({ size: 4, usage: 0 });
  // Dawn delivers uncaptured errors from its event processing, which waiting on the queue drives.
  for (let i = 0; i < 40 && !webgpuFailure(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(webgpuFailure(), 'the uncaptured error was recorded');
  assert.throws(
    () => tf.mul(tf.ones([4096]), 2),
    (e: Error) => e instanceof WebgpuError && /validation error.*Buffer usages must not be 0/.test(e.message),
  );
  releaseEngine();
});

test('train --arch vgg16 at 224 px, batch 64, on a 128 MiB adapter is refused before training, in one line', {
  timeout: 120_000,
}, async (t) => {
  let adapter: Awaited<ReturnType<typeof findWebgpuAdapter>>;
  try {
    adapter = await findWebgpuAdapter();
  } catch (err) {
    t.skip(`no Vulkan/WebGPU adapter here: ${(err as Error).message}`);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'dc-refuse-'));
  try {
    const cli = join(__dirname, '..', '..', '..', 'dist', 'trainer', 'cli.js');
    const args = [
      cli,
      'train',
      '--recipe',
      'paper',
      '--arch',
      'vgg16',
      '--input-size',
      '224',
      '--backend',
      'webgpu',
      '--limit',
      '24',
      '--k',
      '4',
      '--epochs',
      '1',
      '--batch-size',
      '64',
      '--out',
      join(out, 'run'),
      '--cache',
      join(out, 'cache'),
    ];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 110_000 });
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('deepcluster:'));
    if (/llvmpipe|lavapipe/.test(adapter.name)) {
      assert.equal(r.status, 2, r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0],
        /^deepcluster: vgg16's conv1 output at batch 64 is 784\.0 MiB, over this adapter's maxStorageBufferBindingSize of 128\.0 MiB: use a smaller --batch-size/,
      );
      assert.doesNotMatch(r.stdout, /epoch 1\/1/, 'nothing was trained');
    } else {
      t.diagnostic(`adapter ${adapter.name}: exit ${r.status}, ${lines[0] ?? 'trained'}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
