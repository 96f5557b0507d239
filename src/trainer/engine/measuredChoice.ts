// `auto` by measurement: among the backends that load, the one that trains the configured model at the configured
// batch fastest. Preference orders guess wrong both ways: webgpu on a laptop GPU can be slower than wasm for
// smallvgg, and tfjs-node on CPU slower than wasm SIMD. A few steps cost seconds; the answer is cached per machine,
// device, model and batch, so later runs start at once.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BackendName } from '../../protocol/config';
import type { MeasuredBackend } from '../../protocol/engine';

/** What is timed: training commands a training step, forward-only ones (eval, embed, cluster) a forward batch. */
export type MeasuredKind = 'training step' | 'forward batch';

export interface StepMeasurement {
  /** What is trained, for the cache key: "smallvgg 28x28x1 batch 256". */
  workload: string;
  /** Default 'training step'; part of the cache key, since a forward batch takes a third of a step or less. */
  kind?: MeasuredKind;
  /** Milliseconds per step (or forward batch) on the currently active backend (a warm-up one, then a few timed). */
  time(backend: BackendName): Promise<number>;
  /** JSON file of cached timings; none: always measure. */
  cacheFile?: string;
  /** This machine, for the cache key (host name and CPU model). */
  machine: string;
}

interface CacheEntry {
  msPerStep: number;
  measuredAt: string;
}

function readCache(file: string | undefined): Record<string, CacheEntry> {
  if (!file || !existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, CacheEntry>;
  } catch {
    return {}; // a torn or foreign file: measure again and rewrite it
  }
}

function writeCache(file: string, cache: Record<string, CacheEntry>): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cache, null, 2) + '\n');
  renameSync(tmp, file);
}

/** Training steps keep their key of before, so earlier caches stay valid; other kinds name themselves. */
export const cacheKey = (m: StepMeasurement, backend: BackendName, device: string) =>
  `${m.machine} | ${backend} on ${device} | ${m.workload}${(m.kind ?? 'training step') === 'training step' ? '' : ` | ${m.kind}`}`;

/** The cached step time of `backend` on `device`, if this machine measured it before. */
export function cachedStepTime(m: StepMeasurement, backend: BackendName, device: string): MeasuredBackend | undefined {
  const hit = readCache(m.cacheFile)[cacheKey(m, backend, device)];
  return hit ? { backend, device, msPerStep: hit.msPerStep, cached: true } : undefined;
}

/** The step time of `backend` on `device`: cached, or measured (the backend must be active). */
export async function stepTime(m: StepMeasurement, backend: BackendName, device: string): Promise<MeasuredBackend> {
  const hit = cachedStepTime(m, backend, device);
  if (hit) return hit;
  const key = cacheKey(m, backend, device);
  const msPerStep = Math.round(await m.time(backend));
  if (m.cacheFile) {
    try {
      writeCache(m.cacheFile, {
        ...readCache(m.cacheFile),
        [key]: { msPerStep, measuredAt: new Date().toISOString() },
      });
    } catch {
      // an unwritable cache only costs a measurement next time
    }
  }
  return { backend, device, msPerStep, cached: false };
}

/** "wasm 812 ms, webgpu 2400 ms (cached)" for the engine line. */
export function describeMeasured(measured: MeasuredBackend[]): string {
  return measured.map((m) => `${m.backend} ${m.msPerStep} ms${m.cached ? ' (cached)' : ''}`).join(', ');
}
