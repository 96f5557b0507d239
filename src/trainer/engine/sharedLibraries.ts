// Finding the CUDA libraries tfjs-node-gpu needs, so a failure can name the missing file instead of
// TensorFlow silently running on the CPU.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** libtensorflow 2.9 (what tfjs-node-gpu 4.22 downloads) is built against CUDA 11.2 and cuDNN 8. */
export const CUDA_LIBRARIES = ['libcudart.so.11.0', 'libcudnn.so.8'] as const;

/** Library names from the dynamic linker cache (`ldconfig -p`); empty where ldconfig is absent. */
export function linkerCacheLibraries(): Set<string> {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const r = spawnSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 5000 });
    if (r.status === 0 && r.stdout) {
      const names = new Set<string>();
      for (const line of r.stdout.split('\n')) {
        const m = /^\s*(\S+)\s+\(/.exec(line);
        if (m) names.add(m[1]);
      }
      return names;
    }
  }
  return new Set();
}

/** Where the dynamic linker would find `name`: LD_LIBRARY_PATH first, then the ldconfig cache. */
export function findSharedLibrary(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  cache: Set<string> = linkerCacheLibraries(),
): string | undefined {
  for (const dir of (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return cache.has(name) ? name : undefined;
}

/** CUDA 12 / cuDNN 9 runtimes: what current NVIDIA stacks install, and what libtensorflow 2.9 cannot load. */
export const NEWER_CUDA_LIBRARIES = ['libcudart.so.12', 'libcudnn.so.9'] as const;

export interface CudaStatus {
  /** The NVIDIA kernel driver is loaded (or at least libcuda is installed). */
  driver: boolean;
  /** GPU name from nvidia-smi, when it is there. */
  gpuName?: string;
  /** CUDA_LIBRARIES the dynamic linker cannot find. */
  missing: string[];
  /** NEWER_CUDA_LIBRARIES it can find: the common case of a CUDA 12 machine without the CUDA 11 runtime. */
  newer?: string[];
}

/**
 * What the dynamic linker would find. `cache` is `ldconfig -p`'s names (tests pass a fake listing); `exists`
 * checks a path on LD_LIBRARY_PATH.
 */
export function cudaStatus(
  env: NodeJS.ProcessEnv = process.env,
  cache: Set<string> = linkerCacheLibraries(),
  probeSmi = true,
): CudaStatus {
  const driver =
    existsSync('/proc/driver/nvidia/version') || findSharedLibrary('libcuda.so.1', env, cache) !== undefined;
  const missing = CUDA_LIBRARIES.filter((lib) => findSharedLibrary(lib, env, cache) === undefined);
  const newer = NEWER_CUDA_LIBRARIES.filter((lib) => findSharedLibrary(lib, env, cache) !== undefined);
  let gpuName: string | undefined;
  if (driver && probeSmi) {
    const r = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 10000,
    });
    if (r.status === 0) gpuName = r.stdout.split('\n')[0].trim() || undefined;
  }
  return { driver, gpuName, missing, newer };
}

/** Why tfjs-node-gpu cannot use a GPU here, or undefined when the driver and CUDA 11 libraries are all present. */
export function cudaProblem(status: CudaStatus): string | undefined {
  if (!status.driver) return 'no NVIDIA driver found (/proc/driver/nvidia/version and libcuda.so.1 are absent)';
  if (status.missing.length > 0) {
    const found = status.newer?.length
      ? ` (found ${status.newer.join(' and ')}: CUDA 12 / cuDNN 9, which its libtensorflow 2.9 cannot load)`
      : '';
    return (
      `${status.missing.join(' and ')} not found by the dynamic linker (ldconfig -p, LD_LIBRARY_PATH)${found}: ` +
      'tfjs-node-gpu 4.22 needs CUDA 11.x and cuDNN 8'
    );
  }
  return undefined;
}
