// `deepcluster setup-gpu`: installs @tensorflow/tfjs-node-gpu (or tfjs-node) into the user-level folder the
// engine resolves, then proves it with a real matMul on the device in a child process. Their install downloads
// libtensorflow from storage.googleapis.com, so this is where "offline" and "no CUDA" get explained.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, type CommandResult, type CommandRunner } from './commandRunner';
import {
  NATIVE_PACKAGES,
  TFJS_VERSION,
  VERIFICATION_FILE,
  nativeDir,
  type NativeVariant,
  type NativeVerification,
} from './nativeTensorflow';
import { cudaProblem, cudaStatus, type CudaStatus } from './sharedLibraries';

export interface SetupGpuOptions {
  /** gpu: tfjs-node-gpu (CUDA 11 + cuDNN 8). cpu: tfjs-node. Default: gpu where an NVIDIA driver is loaded. */
  variant?: NativeVariant;
  /** Install folder; default $DEEPCLUSTER_NATIVE_DIR or ~/.deepcluster/native. */
  dir?: string;
  log: (line: string) => void;
  /** For tests: fake npm and the child-process check. */
  run?: CommandRunner;
  /** For tests: fake driver/CUDA detection. */
  cuda?: () => CudaStatus;
  installTimeoutMs?: number;
  verifyTimeoutMs?: number;
}

export interface SetupGpuResult {
  ok: boolean;
  backend?: string;
  device?: string;
  message: string;
}

/** Where prebuilt libtensorflow binaries exist for tfjs-node 4.22 (GPU builds: Linux and Windows x64 only). */
function platformProblem(variant: NativeVariant): string | undefined {
  const where = `${process.platform}-${process.arch}`;
  const supported =
    variant === 'gpu'
      ? ['linux-x64', 'win32-x64']
      : ['linux-x64', 'win32-x64', 'darwin-x64', 'darwin-arm64', 'linux-arm64'];
  return supported.includes(where)
    ? undefined
    : `${NATIVE_PACKAGES[variant]} has no prebuilt libtensorflow for ${where}`;
}

const NETWORK_ERROR =
  /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up)\b/;

/** Turns a failed `npm install` into one actionable sentence. */
export function explainInstallFailure(pkg: string, result: CommandResult, timeoutMs: number): string {
  const out = `${result.stderr}\n${result.stdout}`;
  if (result.timedOut) {
    return `npm install ${pkg} did not finish within ${Math.round(timeoutMs / 1000)} s (a slow or blocked download of libtensorflow?)`;
  }
  const network = NETWORK_ERROR.exec(out);
  const url = /https?:\/\/\S*libtensorflow\S*/.exec(out)?.[0];
  if (/Downloading libtensorflow/i.test(out) || url) {
    const host = /(?:getaddrinfo \w+|connect \w+) ([\w.-]+)/.exec(out)?.[1] ?? 'storage.googleapis.com';
    return (
      `Offline: ${pkg}'s install script could not download libtensorflow` +
      `${url ? ` (${url})` : ''}${network ? `: ${network[1]} ${host}` : ''}. It needs ${host}, not just the npm ` +
      'registry: run setup-gpu on a machine that can reach it, or set TFJS_NODE_CDN_STORAGE to a mirror. ' +
      'Meanwhile --backend webgpu or wasm work without it.'
    );
  }
  if (network) return `npm could not reach the registry (${network[1]}): is this machine offline?`;
  const lastError = out
    .split('\n')
    .filter((l) => /npm (ERR!|error)/.test(l) && l.trim().length > 12)
    .pop()
    ?.trim();
  return `npm install ${pkg} failed (exit ${result.code})${lastError ? `: ${lastError}` : ''}`;
}

// Runs in the child: tensorflow's matMul against the pure-JS cpu backend's, on the same random matrices.
const VERIFY_SCRIPT = `
const tf = require(process.argv[1]);
(async () => {
  await tf.setBackend('tensorflow');
  const a = tf.randomUniform([256, 256], -1, 1, 'float32', 7), b = tf.randomUniform([256, 256], -1, 1, 'float32', 8);
  const av = a.arraySync(), bv = b.arraySync();
  const got = tf.matMul(a, b).dataSync();
  await tf.setBackend('cpu');
  const want = tf.matMul(tf.tensor2d(av), tf.tensor2d(bv)).dataSync();
  let err = 0; for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  console.log(JSON.stringify({ maxAbsErr: err }));
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
`;

/** The GPU TensorFlow created, from its log, e.g. "NVIDIA H100 80GB HBM3"; undefined when it made none. */
export function gpuFromTensorflowLog(stderr: string): string | undefined {
  return /Created device \S*GPU:0 .*?name: ([^,]+),/.exec(stderr)?.[1]?.trim();
}

/**
 * What to do instead of a download that cannot work. tfjs-node-gpu 4.22 is the last release and pins libtensorflow
 * 2.9.1 (CUDA 11.2, cuDNN 8.1; tensorflow/tfjs#8362, #8187); current drivers and distributions ship CUDA 12, so the
 * usual NVIDIA machine lacks the CUDA 11 runtime. webgpu (Vulkan) needs only the driver.
 */
export function cudaAdvice(cuda: CudaStatus): string {
  const webgpu =
    'Alternative without CUDA: --backend webgpu (Dawn on the Vulkan driver; `auto` measures it against wasm).';
  if (!cuda.driver)
    return `Install the NVIDIA driver, CUDA 11.x and cuDNN 8, or run setup-gpu --cpu for tfjs-node. ${webgpu}`;
  const cuda12 = cuda.newer?.length
    ? 'This machine has CUDA 12 (the version current NVIDIA drivers ship), and no tfjs-node-gpu release supports it: '
    : "tfjs-node-gpu's last release is built against CUDA 11.2 / cuDNN 8.1 and no release supports CUDA 12: ";
  return (
    `${cuda12}install the CUDA 11 runtime and cuDNN 8 beside it (e.g. NVIDIA's cuda-cudart-11-8 and ` +
    `libcudnn8 packages, or their folders on LD_LIBRARY_PATH) and rerun setup-gpu; nothing was downloaded. ${webgpu}`
  );
}

export async function setupGpu(opts: SetupGpuOptions): Promise<SetupGpuResult> {
  const run = opts.run ?? runCommand;
  const cuda = (opts.cuda ?? cudaStatus)();
  const variant: NativeVariant = opts.variant ?? (cuda.driver ? 'gpu' : 'cpu');
  const pkg = NATIVE_PACKAGES[variant];
  const dir = opts.dir ?? nativeDir();
  const fail = (message: string): SetupGpuResult => {
    opts.log(`setup-gpu: ${message}`);
    return { ok: false, message };
  };

  const platform = platformProblem(variant);
  if (platform) return fail(`${platform}; use --backend webgpu or wasm`);
  // Checked before the ~400 MB download: without a driver and CUDA 11 libraries tfjs-node-gpu only runs on the CPU.
  if (variant === 'gpu') {
    const problem = cudaProblem(cuda);
    if (problem) return fail(`${pkg} cannot use a GPU here: ${problem}. ${cudaAdvice(cuda)}`);
  }

  mkdirSync(dir, { recursive: true });
  // Its own package.json keeps npm from walking up into whatever project surrounds the folder.
  if (!existsSync(join(dir, 'package.json'))) {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'deepcluster-native', private: true }, null, 2));
  }
  const spec = `${pkg}@${TFJS_VERSION}`;
  const installTimeoutMs = opts.installTimeoutMs ?? 15 * 60_000;
  opts.log(`setup-gpu: npm install ${spec} in ${dir} (downloads libtensorflow)`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const installed = await run(npm, ['install', '--no-audit', '--no-fund', '--save-exact', spec], {
    cwd: dir,
    timeoutMs: installTimeoutMs,
  });
  if (installed.code !== 0) return fail(explainInstallFailure(pkg, installed, installTimeoutMs));

  opts.log(`setup-gpu: checking a matMul on ${pkg} against the CPU`);
  const pkgDir = join(dir, 'node_modules', pkg);
  const verifyTimeoutMs = opts.verifyTimeoutMs ?? 180_000;
  // TF_CPP_MIN_LOG_LEVEL=0 makes TensorFlow log the devices it creates; that is how we see the GPU.
  const checked = await run(process.execPath, ['-e', VERIFY_SCRIPT, pkgDir], {
    cwd: dir,
    timeoutMs: verifyTimeoutMs,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '0' },
  });
  const line = checked.stdout.split('\n').find((l) => l.startsWith('{'));
  if (checked.code !== 0 || !line) {
    const why = checked.timedOut
      ? `no answer within ${verifyTimeoutMs / 1000} s`
      : (checked.stderr
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .pop() ?? `exit ${checked.code}`);
    return fail(`${pkg} installed but a matMul on it failed: ${why}`);
  }
  const { maxAbsErr } = JSON.parse(line) as { maxAbsErr: number };
  if (!(maxAbsErr < 1e-3)) return fail(`${pkg} computed a wrong matMul (max abs error ${maxAbsErr} against the CPU)`);

  let device = `CPU, libtensorflow`;
  if (variant === 'gpu') {
    const gpu = gpuFromTensorflowLog(checked.stderr);
    if (!gpu) {
      const missing = /Could not load dynamic library '([^']+)'/.exec(checked.stderr)?.[1];
      return fail(
        `${pkg} runs, but TensorFlow created no GPU device${missing ? ` (could not load ${missing})` : ''}: ` +
          'it would only use the CPU. Check the NVIDIA driver and the CUDA 11 / cuDNN 8 libraries.',
      );
    }
    device = gpu;
  }
  const verification: NativeVerification = {
    variant,
    version: TFJS_VERSION,
    device,
    verifiedAt: new Date().toISOString(),
  };
  writeFileSync(join(dir, VERIFICATION_FILE), JSON.stringify(verification, null, 2));
  const message =
    `${spec} is installed in ${dir} and a matMul on ${device} matches the CPU ` +
    `(max abs error ${maxAbsErr.toExponential(1)}); --backend tensorflow (and auto) will use it.`;
  opts.log(`setup-gpu: ${message}`);
  return { ok: true, backend: 'tensorflow', device, message };
}
