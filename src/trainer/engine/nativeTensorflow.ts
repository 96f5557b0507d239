// The optional native TensorFlow backends (@tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node). They are not
// dependencies of the project (their install downloads libtensorflow, which fails offline); they are found
// in the project's node_modules or in a user-level folder that `deepcluster setup-gpu` fills.
import { createRequire } from 'node:module';
import Module from 'node:module';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfCpu from '@tensorflow/tfjs-backend-cpu';

export type NativeVariant = 'gpu' | 'cpu';

export const NATIVE_PACKAGES: Record<NativeVariant, string> = {
  gpu: '@tensorflow/tfjs-node-gpu',
  cpu: '@tensorflow/tfjs-node',
};

/** The tfjs-core version the trainer is built with; a native package must match it. */
export const TFJS_VERSION = tf.version_core;

/** The user-level folder `setup-gpu` installs into: $DEEPCLUSTER_NATIVE_DIR or ~/.deepcluster/native. */
export function nativeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DEEPCLUSTER_NATIVE_DIR || join(homedir(), '.deepcluster', 'native');
}

// Resolves packages as the trainer itself does (project node_modules), in the tsx tests and in the bundle.
const ownRequire = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'));

export interface NativePackage {
  variant: NativeVariant;
  name: string;
  dir: string;
  version: string;
}

/** Finds an installed native package: the project's node_modules first, then the user-level folder. */
export function locateNative(variant: NativeVariant, userDir: string = nativeDir()): NativePackage | undefined {
  const name = NATIVE_PACKAGES[variant];
  const candidates: string[] = [];
  try {
    candidates.push(dirname(ownRequire.resolve(`${name}/package.json`)));
  } catch {
    // not in the project's node_modules
  }
  candidates.push(join(userDir, 'node_modules', name));
  for (const dir of candidates) {
    const pkgJson = join(dir, 'package.json');
    if (existsSync(pkgJson)) {
      const version = String(JSON.parse(readFileSync(pkgJson, 'utf8')).version);
      return { variant, name, dir, version };
    }
  }
  return undefined;
}

/** Why an installed native package cannot load, before trying: wrong version, or its libtensorflow is absent. */
export function nativeProblem(pkg: NativePackage): string | undefined {
  if (pkg.version !== TFJS_VERSION) {
    return (
      `${pkg.name}@${pkg.version} at ${pkg.dir} does not match the trainer's tfjs-core ${TFJS_VERSION}; ` +
      `reinstall it with: deepcluster setup-gpu`
    );
  }
  const libDir = join(pkg.dir, 'deps', 'lib');
  const hasLib = existsSync(libDir) && readdirSync(libDir).some((f) => f.startsWith('libtensorflow'));
  if (!hasLib) {
    return (
      `${pkg.name} at ${pkg.dir} has no libtensorflow (its install-time download failed); ` +
      `rerun: deepcluster setup-gpu`
    );
  }
  return undefined;
}

// tfjs-node registers its backend on the @tensorflow/tfjs-core it resolves. A copy of its own (in the
// user-level folder) would get the backend while the trainer's ops run on the trainer's copy, so every
// request for the shared packages resolves to the trainer's instance. In the packaged trainer that instance
// lives inside the bundle (no node_modules copy to resolve to), so the package names themselves are served
// from the bundle's modules through Node's module cache; subpaths go to the project's copy when there is one.
const SHARED_MODULES: Record<string, object> = { '@tensorflow/tfjs-core': tf, '@tensorflow/tfjs-backend-cpu': tfCpu };
const SHARED_PACKAGES = Object.keys(SHARED_MODULES);
const SHARED_KEY = 'deepcluster-shared:';
let sharingInstalled = false;

function shareTfjsCoreInstance(): void {
  if (sharingInstalled) return;
  sharingInstalled = true;
  type Resolver = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
  const mod = Module as unknown as { _resolveFilename: Resolver; _cache: Record<string, unknown> };
  const original = mod._resolveFilename;
  mod._resolveFilename = function (request, parent, isMain, options) {
    const shared = SHARED_MODULES[request];
    if (shared) {
      const key = SHARED_KEY + request;
      if (!mod._cache[key])
        mod._cache[key] = Object.assign(new Module(key), { filename: key, loaded: true, exports: shared });
      return key;
    }
    if (SHARED_PACKAGES.some((p) => request.startsWith(`${p}/`))) {
      try {
        return ownRequire.resolve(request);
      } catch {
        // a subpath only the other copy has: let Node resolve it as usual
      }
    }
    return original.call(this, request, parent, isMain, options);
  };
}

/** Loads a native package into this process; it registers the `tensorflow` backend on our tfjs-core. */
export function loadNative(pkg: NativePackage): void {
  shareTfjsCoreInstance();
  ownRequire(pkg.dir);
  if (!tf.findBackendFactory('tensorflow')) {
    throw new Error(`${pkg.name} loaded but registered no "tensorflow" backend on the trainer's tfjs-core`);
  }
}

/** What `setup-gpu` proved about an install (written next to it), so later runs can name the device. */
export interface NativeVerification {
  variant: NativeVariant;
  version: string;
  device: string;
  verifiedAt: string;
}

export const VERIFICATION_FILE = 'verified.json';

export function readVerification(userDir: string = nativeDir()): NativeVerification | undefined {
  try {
    return JSON.parse(readFileSync(join(userDir, VERIFICATION_FILE), 'utf8')) as NativeVerification;
  } catch {
    return undefined;
  }
}
