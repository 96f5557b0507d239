// Choosing the tfjs backend: `auto` walks from the fastest kind of device to the one that always works;
// an explicit request gets exactly that backend or an error that says why not. Never a silent fallback.
import type { BackendName, BackendRequest } from '../../protocol/config';
import type { EngineInfo, MeasuredBackend, SkippedBackend } from '../../protocol/engine';
import { BackendUnavailable, reasonOf } from './backendUnavailable';
import { cachedStepTime, describeMeasured, stepTime, type StepMeasurement } from './measuredChoice';
import type { BackendOffer, EngineProbes } from './offers';

export interface EngineOptions {
  /** wasm: XNNPACK threads (default: os.availableParallelism()). */
  threads?: number;
  /** Let `auto` train on a software adapter (lavapipe, SwiftShader). An explicit `webgpu` always may. */
  allowSoftware?: boolean;
  /** `auto` only: time the run's work (training steps or forward batches) on every candidate, take the fastest. */
  measure?: StepMeasurement;
  log?: (line: string) => void;
}

/** `auto`'s preference order. `cpu` is not in it: the pure-JS backend is an oracle, not a way to train. */
export const AUTO_ORDER: BackendName[] = ['tensorflow', 'webgpu', 'wasm'];
const ALL: BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

const CPU_SKIPPED =
  'pure-JavaScript reference backend, about 1000x slower than PyTorch; only when asked (--backend cpu)';

async function start(offer: BackendOffer, threads?: number): Promise<Omit<EngineInfo, 'skipped'>> {
  const got = (await offer.activate()) ?? {};
  const info: Omit<EngineInfo, 'skipped'> = {
    backend: offer.backend,
    device: got.device ?? offer.device,
    provider: offer.provider,
    software: offer.software,
  };
  const t = got.threads ?? (offer.backend === 'wasm' ? threads : undefined);
  if (t !== undefined) info.threads = t;
  return info;
}

async function selectExplicit(backend: BackendName, probes: EngineProbes, opts: EngineOptions): Promise<EngineInfo> {
  let offer: BackendOffer;
  try {
    offer = await probes[backend]({ threads: opts.threads });
  } catch (err) {
    throw err instanceof BackendUnavailable ? err : new BackendUnavailable(backend, reasonOf(err));
  }
  let info: Awaited<ReturnType<typeof start>>;
  try {
    info = await start(offer, opts.threads);
  } catch (err) {
    offer.release?.();
    throw new Error(`The ${backend} backend failed to start on ${offer.device}: ${reasonOf(err)}`);
  }
  const skipped = ALL.filter((b) => b !== backend).map((b) => ({
    backend: b,
    reason: `not requested (--backend ${backend})`,
  }));
  return { ...info, skipped };
}

async function selectAuto(probes: EngineProbes, opts: EngineOptions): Promise<EngineInfo> {
  const skipped: SkippedBackend[] = [];
  const skip = (backend: BackendName, reason: string) => {
    skipped.push({ backend, reason });
    opts.log?.(`engine: skipped ${backend}: ${reason}`);
  };
  const candidates: BackendOffer[] = [];
  for (const backend of AUTO_ORDER) {
    let offer: BackendOffer;
    try {
      offer = await probes[backend]({ threads: opts.threads });
    } catch (err) {
      skip(backend, reasonOf(err));
      continue;
    }
    if (backend === 'webgpu' && offer.software && !opts.allowSoftware) {
      offer.release?.();
      skip(backend, `only a software adapter (${offer.device}): too slow to train; ask for it with --backend webgpu`);
      continue;
    }
    if (opts.measure) {
      candidates.push(offer);
      continue;
    }
    try {
      const info = await start(offer, opts.threads);
      for (const b of ALL)
        if (b !== backend && !skipped.some((s) => s.backend === b)) {
          skipped.push({ backend: b, reason: b === 'cpu' ? CPU_SKIPPED : `${backend} is preferred` });
        }
      return { ...info, skipped };
    } catch (err) {
      offer.release?.();
      skip(backend, `failed to start on ${offer.device}: ${reasonOf(err)}`);
    }
  }
  if (opts.measure && candidates.length > 0) {
    const chosen = await fastest(candidates, opts.measure, opts, skip);
    if (chosen) {
      for (const b of ALL)
        if (b !== chosen.info.backend && !skipped.some((s) => s.backend === b)) {
          const m = chosen.measured.find((x) => x.backend === b);
          const unit = (opts.measure.kind ?? 'training step') === 'training step' ? 'a step' : 'a forward batch';
          skipped.push({ backend: b, reason: b === 'cpu' ? CPU_SKIPPED : `slower here (${m?.msPerStep} ms ${unit})` });
        }
      const kind = opts.measure.kind ?? 'training step';
      return {
        ...chosen.info,
        skipped,
        ...(chosen.measured.length > 1 ? { measured: chosen.measured, measuredKind: kind } : {}),
      };
    }
  }
  skip('cpu', CPU_SKIPPED);
  throw new Error(`No backend can train here: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

/**
 * Starts each candidate in turn (unless its time is cached), times the configured training step on it, and leaves
 * the fastest active; the others are released. A candidate that fails to start or to train is skipped with why.
 */
async function fastest(
  candidates: BackendOffer[],
  measure: StepMeasurement,
  opts: EngineOptions,
  skip: (backend: BackendName, reason: string) => void,
): Promise<{ info: Omit<EngineInfo, 'skipped'>; measured: MeasuredBackend[] } | undefined> {
  const measured: MeasuredBackend[] = [];
  const failed = new Set<BackendOffer>();
  let active: BackendOffer | undefined;
  for (const offer of candidates) {
    try {
      const cached = candidates.length > 1 ? cachedStepTime(measure, offer.backend, offer.device) : undefined;
      if (cached) {
        measured.push(cached);
        continue;
      }
      await start(offer, opts.threads);
      active = offer;
      // A single candidate needs no timing: there is nothing to compare it with.
      if (candidates.length > 1) measured.push(await stepTime(measure, offer.backend, offer.device));
    } catch (err) {
      if (active === offer) active = undefined;
      failed.add(offer);
      offer.release?.();
      const verb = (measure.kind ?? 'training step') === 'training step' ? 'train' : 'run';
      skip(offer.backend, `could not ${verb} ${measure.workload} on ${offer.device}: ${reasonOf(err).split('\n')[0]}`);
    }
  }
  measured.sort((a, b) => a.msPerStep - b.msPerStep);
  const best = candidates.length === 1 && active ? active : candidates.find((c) => c.backend === measured[0]?.backend);
  if (!best) return undefined;
  for (const c of candidates) if (c !== best && !failed.has(c)) c.release?.();
  try {
    const info = await start(best, opts.threads);
    return { info, measured };
  } catch (err) {
    best.release?.();
    skip(best.backend, `failed to start on ${best.device}: ${reasonOf(err)}`);
    return undefined;
  }
}

/** Sets the global tfjs backend for `request` using `probes`, and says what it chose and why. */
export async function selectBackend(
  request: BackendRequest,
  probes: EngineProbes,
  opts: EngineOptions = {},
): Promise<EngineInfo> {
  const info = request === 'auto' ? await selectAuto(probes, opts) : await selectExplicit(request, probes, opts);
  const times = info.measured
    ? `; measured a ${info.measuredKind ?? 'training step'}: ${describeMeasured(info.measured)}`
    : '';
  opts.log?.(`engine: ${info.backend} (${info.provider}) on ${info.device}${times}`);
  return info;
}
