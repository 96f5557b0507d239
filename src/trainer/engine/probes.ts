// The real probes: what each backend needs on this machine, checked before anything is switched on.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { BackendUnavailable, reasonOf } from './backendUnavailable';
import type { BackendOffer, EngineProbes, ProbeOptions } from './offers';
import { cudaProblem, cudaStatus } from './sharedLibraries';
import {
  loadNative,
  locateNative,
  nativeDir,
  nativeProblem,
  readVerification,
  type NativePackage,
} from './nativeTensorflow';
import { activateWasm } from './wasmBackend';
import { activateWebgpu, findWebgpuAdapter, releaseWebgpu } from './webgpuDawn';

let loadedNative: NativePackage | undefined;

function nativeOffer(pkg: NativePackage, device: string): BackendOffer {
  return {
    backend: 'tensorflow',
    provider: pkg.variant === 'gpu' ? 'tfjs-node-gpu' : 'tfjs-node',
    device,
    software: false,
    async activate() {
      // Both variants register "tensorflow"; a process can hold only one libtensorflow.
      if (loadedNative && loadedNative.dir !== pkg.dir) {
        throw new Error(`${loadedNative.name} is already loaded in this process`);
      }
      if (!loadedNative) {
        loadNative(pkg);
        loadedNative = pkg;
      }
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg.name} failed to initialise`);
    },
  };
}

/** tfjs-node-gpu with a CUDA device, else tfjs-node; each may be missing, mismatched, or lack its libraries. */
async function probeTensorflow(): Promise<BackendOffer> {
  const dir = nativeDir();
  const reasons: string[] = [];
  const gpu = locateNative('gpu', dir);
  if (gpu) {
    const cuda = cudaStatus();
    const problem = nativeProblem(gpu) ?? cudaProblem(cuda);
    if (!problem) {
      const verified = readVerification(dir);
      const name = verified?.variant === 'gpu' ? verified.device : (cuda.gpuName ?? 'NVIDIA GPU');
      return nativeOffer(gpu, `${name} (CUDA, tfjs-node-gpu)`);
    }
    reasons.push(`tfjs-node-gpu: ${problem}`);
  }
  const cpu = locateNative('cpu', dir);
  if (cpu) {
    const problem = nativeProblem(cpu);
    if (!problem) return nativeOffer(cpu, `CPU, libtensorflow, ${availableParallelism()} cores`);
    reasons.push(`tfjs-node: ${problem}`);
  }
  if (!gpu && !cpu) {
    reasons.push(
      `neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (looked in the ` +
        `project's node_modules and ${dir}); install one with: deepcluster setup-gpu`,
    );
  }
  throw new BackendUnavailable('tensorflow', reasons.join('; '));
}

async function probeWebgpu(): Promise<BackendOffer> {
  let adapter: Awaited<ReturnType<typeof findWebgpuAdapter>>;
  try {
    adapter = await findWebgpuAdapter();
  } catch (err) {
    releaseWebgpu();
    throw new BackendUnavailable('webgpu', reasonOf(err));
  }
  return {
    backend: 'webgpu',
    provider: 'webgpu',
    device: adapter.software ? `${adapter.name} (software)` : adapter.name,
    software: adapter.software,
    activate: activateWebgpu,
    release: releaseWebgpu,
  };
}

async function probeWasm(opts: ProbeOptions): Promise<BackendOffer> {
  const threads = opts.threads ?? availableParallelism();
  return {
    backend: 'wasm',
    provider: 'wasm',
    device: `CPU, wasm SIMD, ${threads} threads`,
    software: true,
    async activate() {
      const started = await activateWasm(threads);
      const simd = started.simd ? 'wasm SIMD' : 'wasm (no SIMD)';
      // Training still works without our SIMD module (a broken install, a runtime without wasm SIMD), ~1.5x slower.
      const notes = [
        started.threadsNote,
        started.heapSimd ? undefined : 'training kernels in JavaScript: heapSimd.wasm not loaded',
      ];
      const note = notes.some(Boolean) ? ` (${notes.filter(Boolean).join('; ')})` : '';
      return {
        device: `CPU, ${simd}, ${started.threads} thread${started.threads === 1 ? '' : 's'}${note}`,
        threads: started.threads,
      };
    },
  };
}

async function probeCpu(): Promise<BackendOffer> {
  return {
    backend: 'cpu',
    provider: 'cpu',
    device: 'CPU, plain JavaScript',
    software: true,
    async activate() {
      if (!(await tf.setBackend('cpu'))) throw new Error('tfjs-backend-cpu failed to initialise');
      return { threads: 1 };
    },
  };
}

export const machineProbes: EngineProbes = {
  tensorflow: probeTensorflow,
  webgpu: probeWebgpu,
  wasm: probeWasm,
  cpu: probeCpu,
};
