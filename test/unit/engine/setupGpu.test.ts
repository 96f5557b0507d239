// setup-gpu with a fake npm and a fake child check: every failure has a clear message, and success is proven.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandResult, CommandRunner } from '../../../src/trainer/engine/commandRunner';
import { gpuFromTensorflowLog, setupGpu } from '../../../src/trainer/engine/setupGpu';
import { cudaProblem, cudaStatus, type CudaStatus } from '../../../src/trainer/engine/sharedLibraries';

// What `npm install @tensorflow/tfjs-node@4.22.0` printed on this offline machine (trimmed).
const OFFLINE_NPM = `npm error code 1
npm error path /tmp/eng/native/node_modules/@tensorflow/tfjs-node
npm error command failed
npm error command sh -c node scripts/install.js
npm error CPU-linux-4.22.0.tar.gz
npm error https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz
npm error * Downloading libtensorflow
npm error Error: getaddrinfo ENOTFOUND storage.googleapis.com
npm error   hostname: 'storage.googleapis.com'`;

const H100_LOG =
  '2025-01-01 I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device ' +
  '/job:localhost/replica:0/task:0/device:GPU:0 with 78000 MB memory:  -> device: 0, name: NVIDIA H100 80GB HBM3, ' +
  'pci bus id: 0000:00:05.0, compute capability: 9.0';

const ok = (stdout = '', stderr = ''): CommandResult => ({ code: 0, stdout, stderr, timedOut: false });

function fakeRunner(answers: Array<CommandResult | ((args: string[]) => CommandResult)>) {
  const calls: { command: string; args: string[]; cwd: string }[] = [];
  const run: CommandRunner = async (command, args, options) => {
    calls.push({ command, args, cwd: options.cwd });
    const a = answers[calls.length - 1];
    if (!a) throw new Error('unexpected command');
    return typeof a === 'function' ? a(args) : a;
  };
  return { run, calls };
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'dc-native-'));
const withDriver: CudaStatus = { driver: true, gpuName: 'NVIDIA H100 80GB HBM3', missing: [] };
const log = () => {};

test('gpu variant without an NVIDIA driver fails before downloading anything', async () => {
  const { run, calls } = fakeRunner([]);
  const r = await setupGpu({
    variant: 'gpu',
    dir: tempDir(),
    log,
    run,
    cuda: () => ({ driver: false, missing: ['libcudart.so.11.0', 'libcudnn.so.8'] }),
  });
  assert.equal(r.ok, false);
  assert.match(r.message, /^@tensorflow\/tfjs-node-gpu cannot use a GPU here: no NVIDIA driver found/);
  assert.match(r.message, /--variant cpu|--backend webgpu/);
  assert.equal(calls.length, 0);
});

test('gpu variant with the driver but no CUDA 11 / cuDNN 8 names the missing libraries', async () => {
  const { run, calls } = fakeRunner([]);
  const r = await setupGpu({
    variant: 'gpu',
    dir: tempDir(),
    log,
    run,
    cuda: () => ({ driver: true, missing: ['libcudart.so.11.0', 'libcudnn.so.8'] }),
  });
  assert.equal(r.ok, false);
  assert.match(r.message, /libcudart\.so\.11\.0 and libcudnn\.so\.8 not found by the dynamic linker/);
  assert.equal(calls.length, 0);
});

test('offline: the failed libtensorflow download is recognised and explained', async () => {
  const dir = tempDir();
  const { run, calls } = fakeRunner([{ code: 1, stdout: '', stderr: OFFLINE_NPM, timedOut: false }]);
  const lines: string[] = [];
  const r = await setupGpu({ variant: 'cpu', dir, log: (l) => lines.push(l), run, cuda: () => withDriver });
  assert.equal(r.ok, false);
  assert.equal(calls[0].cwd, dir);
  assert.deepEqual(calls[0].args.slice(-1), ['@tensorflow/tfjs-node@4.22.0']);
  assert.ok(existsSync(join(dir, 'package.json')), 'npm gets a package.json of its own');
  assert.match(
    r.message,
    /^Offline: @tensorflow\/tfjs-node's install script could not download libtensorflow \(https:\/\/storage\.googleapis\.com\/\S+libtensorflow-cpu-linux-x86_64-2\.9\.1\.tar\.gz\): ENOTFOUND storage\.googleapis\.com\./,
  );
  assert.match(r.message, /TFJS_NODE_CDN_STORAGE/);
  assert.ok(lines.at(-1)!.includes('Offline'));
});

test('a hung install times out with a message; the registry being down is told apart', async () => {
  const hung = fakeRunner([{ code: null, stdout: '', stderr: '', timedOut: true }]);
  const r = await setupGpu({
    variant: 'cpu',
    dir: tempDir(),
    log,
    run: hung.run,
    cuda: () => withDriver,
    installTimeoutMs: 2000,
  });
  assert.match(r.message, /did not finish within 2 s/);
  const noRegistry = fakeRunner([
    {
      code: 1,
      stdout: '',
      stderr:
        'npm error code ENOTFOUND\nnpm error network request to https://registry.npmjs.org/@tensorflow%2ftfjs-node failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org',
      timedOut: false,
    },
  ]);
  const r2 = await setupGpu({ variant: 'cpu', dir: tempDir(), log, run: noRegistry.run, cuda: () => withDriver });
  assert.match(r2.message, /^npm could not reach the registry \(ENOTFOUND\)/);
});

test("success on a GPU: matMul checked in a child, device taken from TensorFlow's log, verification saved", async () => {
  const dir = tempDir();
  const { run, calls } = fakeRunner([ok(), ok('{"maxAbsErr":3.1e-6}\n', H100_LOG)]);
  const r = await setupGpu({ dir, log, run, cuda: () => withDriver });
  assert.equal(r.ok, true, r.message);
  assert.equal(r.backend, 'tensorflow');
  assert.equal(r.device, 'NVIDIA H100 80GB HBM3');
  assert.deepEqual(calls[0].args.slice(-1), ['@tensorflow/tfjs-node-gpu@4.22.0'], 'a driver makes gpu the default');
  assert.equal(calls[1].command, process.execPath);
  assert.equal(calls[1].args.at(-1), join(dir, 'node_modules', '@tensorflow/tfjs-node-gpu'));
  const saved = JSON.parse(readFileSync(join(dir, 'verified.json'), 'utf8'));
  assert.equal(saved.device, 'NVIDIA H100 80GB HBM3');
  assert.equal(saved.variant, 'gpu');
});

test('tfjs-node-gpu that finds no GPU, or computes garbage, is not accepted', async () => {
  const noGpu = fakeRunner([
    ok(),
    ok(
      '{"maxAbsErr":1e-6}\n',
      "W dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file",
    ),
  ]);
  const r = await setupGpu({ variant: 'gpu', dir: tempDir(), log, run: noGpu.run, cuda: () => withDriver });
  assert.equal(r.ok, false);
  assert.match(r.message, /created no GPU device \(could not load libcudnn\.so\.8\)/);
  const wrong = fakeRunner([ok(), ok('{"maxAbsErr":0.5}\n', '')]);
  const r2 = await setupGpu({ variant: 'cpu', dir: tempDir(), log, run: wrong.run, cuda: () => withDriver });
  assert.match(r2.message, /wrong matMul \(max abs error 0\.5/);
  const crashed = fakeRunner([
    ok(),
    { code: 1, stdout: '', stderr: 'Error: libtensorflow.so.2: cannot open shared object file', timedOut: false },
  ]);
  const r3 = await setupGpu({ variant: 'cpu', dir: tempDir(), log, run: crashed.run, cuda: () => withDriver });
  assert.match(r3.message, /installed but a matMul on it failed: Error: libtensorflow\.so\.2/);
});

test('gpuFromTensorflowLog reads the device name', () => {
  assert.equal(gpuFromTensorflowLog(H100_LOG), 'NVIDIA H100 80GB HBM3');
  assert.equal(gpuFromTensorflowLog('no devices'), undefined);
});

// A fake `ldconfig -p` listing (names only): the dynamic linker's view of three kinds of NVIDIA machine.
const listing = (...names: string[]) => new Set(names);
const noLdPath = { LD_LIBRARY_PATH: '' } as NodeJS.ProcessEnv;

test('cudaStatus reads the library listing: CUDA 12 only, CUDA 11 + cuDNN 8, nothing', () => {
  const cuda12 = cudaStatus(noLdPath, listing('libcuda.so.1', 'libcudart.so.12', 'libcudnn.so.9'), false);
  assert.deepEqual(cuda12, {
    driver: true,
    gpuName: undefined,
    missing: ['libcudart.so.11.0', 'libcudnn.so.8'],
    newer: ['libcudart.so.12', 'libcudnn.so.9'],
  });
  assert.match(
    cudaProblem(cuda12)!,
    /found libcudart\.so\.12 and libcudnn\.so\.9: CUDA 12 \/ cuDNN 9, which its libtensorflow 2\.9 cannot load/,
  );
  const cuda11 = cudaStatus(
    noLdPath,
    listing('libcuda.so.1', 'libcudart.so.11.0', 'libcudnn.so.8', 'libcudart.so.12'),
    false,
  );
  assert.deepEqual(cuda11.missing, []);
  assert.equal(cudaProblem(cuda11), undefined);
  const bare = cudaStatus(noLdPath, listing('libc.so.6'), false);
  assert.deepEqual(bare.missing, ['libcudart.so.11.0', 'libcudnn.so.8']);
  assert.deepEqual(bare.newer, []);
});

test('setup-gpu on a CUDA 12 machine explains the situation and webgpu, and downloads nothing', async () => {
  const { run, calls } = fakeRunner([]);
  const lines: string[] = [];
  const cuda = () => cudaStatus(noLdPath, listing('libcuda.so.1', 'libcudart.so.12', 'libcudnn.so.9'), false);
  const r = await setupGpu({ variant: 'gpu', dir: tempDir(), log: (l) => lines.push(l), run, cuda });
  assert.equal(r.ok, false);
  assert.equal(calls.length, 0, 'no npm install was started');
  assert.match(r.message, /This machine has CUDA 12 .* no tfjs-node-gpu release supports it/);
  assert.match(r.message, /nothing was downloaded/);
  assert.match(r.message, /--backend webgpu/);
  assert.equal(lines.length, 1);
});
