// XNNPACK threads for the wasm backend in Node.
//
// tfjs-backend-wasm 4.22 ships a pthreads build (tfjs-backend-wasm-threaded-simd.wasm) but never uses it in Node:
// its WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired to false there (tfjs issue #3830), and forcing the flag on
// fails because the pthread workers are started from `blob:` URLs, which Node's worker_threads rejects
// (ERR_WORKER_PATH). The Emscripten glue itself knows how to run its workers in Node. Three runtime hooks,
// installed only while the backend initialises (nothing in node_modules is changed), bridge the gap:
//  1. Blob: records the text of the two scripts tfjs wraps in Blobs, the pthread worker and the module factory,
//     so that they can be written to files in a private temp folder;
//  2. URL.createObjectURL: returns the worker file's path instead of a blob: URL, so `new Worker(path)` works.
//     The worker file starts with a prelude that maps the factory Blob it is later sent to the factory file;
//  3. os.cpus: the C side caps the thread count at emscripten_num_logical_cores() / 2 (it assumes two hardware
//     threads per core), which in Node is os.cpus().length / 2; reporting twice the request lifts that cap.
// All eight pool workers have loaded both files by the time the backend is ready, so the folder is deleted then.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** How tfjs starts the factory Blob's text ("var WasmBackendModuleThreadedSimd = function ..."). */
const FACTORY_PREFIX = 'var WasmBackendModuleThreadedSimd';

interface PThreadWorker {
  unref(): void;
}
interface ThreadedModule {
  PThread?: { runningWorkers: PThreadWorker[] };
}

/**
 * Initialises the global 'wasm' backend from tfjs's threaded build with `threads` XNNPACK threads (the calling
 * thread plus threads - 1 pthread workers; tfjs caps it at 8). Returns the thread count in use. Throws, with the
 * backend left uninitialised, when the threaded build cannot start.
 */
export async function initThreadedWasm(threads: number): Promise<number> {
  if (isWasmInitialised()) throw new Error('the wasm backend is already initialised');
  const folder = mkdtempSync(join(os.tmpdir(), 'deepcluster-wasm-threads-'));
  const hooks = installInitHooks(folder, threads);
  let started: boolean;
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(threads);
    started = await tf.setBackend('wasm');
  } finally {
    hooks.remove();
    rmSync(folder, { recursive: true, force: true });
  }
  if (!started) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    throw new Error(hooks.failure() ?? 'the threaded build failed to initialise');
  }
  letNodeExitWithWorkersRunning();
  return getThreadsCount();
}

/** Whether the wasm backend has been created. (tf.findBackend would start creating it, single-threaded.) */
export function isWasmInitialised(): boolean {
  return 'wasm' in tf.engine().registry;
}

/** rollup's names for Node modules in tfjs-backend-wasm's Node bundle ("var require$$0 = require('fs');"), as
 *  `source` writes them: tfjs's own file, or our esbuild bundle that inlines it (double quotes, indented). */
export function requireAliases(source: string): Map<string, string> {
  return new Map(
    [...source.matchAll(/^\s*var (require\$\$\d+) = require\((["'])([^"']+)\2\);$/gm)].map((m) => [m[1]!, m[3]!]),
  );
}

/** The text that defines the aliases: the running bundle when tfjs is inlined in it (the packaged extension
 *  ships no tfjs-backend-wasm package), else the package's Node bundle (tests, tsx). */
function aliasSource(): Map<string, string> {
  const own = requireAliases(readFileSync(__filename, 'utf8'));
  if (own.size) return own;
  // A computed name: esbuild leaves this require.resolve alone, and it only runs outside the bundle.
  const pkg = ['@tensorflow', 'tfjs-backend-wasm'].join('/');
  return requireAliases(readFileSync(require.resolve(pkg), 'utf8'));
}

/** The factory's text refers to rollup's names for Node modules (require$$0 = fs, ...) that only exist inside
 *  tfjs's bundle; the factory file defines them. */
function factoryFileText(factory: string): string {
  const aliases = aliasSource();
  const lines = ['var commonjsGlobal = globalThis;'];
  for (const alias of new Set(factory.match(/require\$\$\d+/g) ?? [])) {
    const id = aliases.get(alias);
    if (!id) throw new Error(`unrecognised tfjs-backend-wasm bundle: no module for ${alias}`);
    lines.push(`var ${alias} = require(${JSON.stringify(id)});`);
  }
  return `${lines.join('\n')}\n${factory}\n`;
}

function workerFileText(worker: string, factoryPath: string): string {
  // The main thread posts the factory as a Blob; the worker turns it into an object URL and imports that.
  return `URL.createObjectURL = () => ${JSON.stringify(factoryPath)};\nURL.revokeObjectURL = () => {};\n` + worker;
}

function installInitHooks(folder: string, threads: number): { remove(): void; failure(): string | undefined } {
  const factoryPath = join(folder, 'factory.cjs');
  const workerPath = join(folder, 'worker.cjs');
  const texts = new WeakMap<object, string>();
  let failure: string | undefined;
  let workerWritten = false;

  const OriginalBlob = globalThis.Blob;
  globalThis.Blob = class RecordingBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      const text = parts?.every((p) => typeof p === 'string') ? parts.join('') : undefined;
      if (text === undefined) return;
      texts.set(this, text);
      if (text.startsWith(FACTORY_PREFIX)) {
        try {
          writeFileSync(factoryPath, factoryFileText(text));
        } catch (err) {
          failure = (err as Error).message;
          throw err;
        }
      }
    }
  } as typeof Blob;

  const originalCreateObjectURL = URL.createObjectURL;
  URL.createObjectURL = (obj: Blob | MediaSource): string => {
    const text = texts.get(obj);
    if (text === undefined) return originalCreateObjectURL(obj);
    // Called once per pool worker; writing again while an earlier worker reads the file would hand it a
    // truncated script (it exits silently, and Node with it).
    if (!workerWritten) writeFileSync(workerPath, workerFileText(text, factoryPath));
    workerWritten = true;
    return workerPath;
  };

  const mutableOs = os as { cpus: typeof os.cpus };
  const originalCpus = mutableOs.cpus;
  mutableOs.cpus = () => {
    const cpus = originalCpus();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % Math.max(1, cpus.length)]);
  };

  return {
    remove() {
      globalThis.Blob = OriginalBlob;
      URL.createObjectURL = originalCreateObjectURL;
      mutableOs.cpus = originalCpus;
    },
    failure: () => failure,
  };
}

/** Running pthreads hold a reference on their worker (Emscripten refs them), and XNNPACK's pool threads run
 *  for the life of the process: without this, Node would never exit on its own. */
function letNodeExitWithWorkersRunning(): void {
  const module = (tf.engine().registry.wasm as unknown as { wasm?: ThreadedModule } | undefined)?.wasm;
  for (const worker of module?.PThread?.runningWorkers ?? []) worker.unref();
}
