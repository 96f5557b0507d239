// Choosing the tfjs backend: `auto` walks from the fastest kind of device to the one that always works;
// an explicit request gets exactly that backend or an error that says why not. Never a silent fallback.
import type { BackendName, BackendRequest } from '../../protocol/config';
import type { EngineInfo, SkippedBackend } from '../../protocol/engine';
import { BackendUnavailable, reasonOf } from './backendUnavailable';
import type { BackendOffer, EngineProbes } from './offers';

export interface EngineOptions {
  /** wasm: XNNPACK threads (default: os.availableParallelism()). */
  threads?: number;
  /** Let `auto` train on a software adapter (lavapipe, SwiftShader). An explicit `webgpu` always may. */
  allowSoftware?: boolean;
  log?: (line: string) => void;
}

/** `auto`'s preference order. `cpu` is not in it: the pure-JS backend is an oracle, not a way to train. */
export const AUTO_ORDER: BackendName[] = ['tensorflow', 'webgpu', 'wasm'];
const ALL: BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

const CPU_SKIPPED = 'pure-JavaScript reference backend, about 1000x slower than PyTorch; only when asked (--backend cpu)';

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
  let info;
  try {
    info = await start(offer, opts.threads);
  } catch (err) {
    offer.release?.();
    throw new Error(`The ${backend} backend failed to start on ${offer.device}: ${reasonOf(err)}`);
  }
  const skipped = ALL.filter((b) => b !== backend).map((b) => ({ backend: b, reason: `not requested (--backend ${backend})` }));
  return { ...info, skipped };
}

async function selectAuto(probes: EngineProbes, opts: EngineOptions): Promise<EngineInfo> {
  const skipped: SkippedBackend[] = [];
  const skip = (backend: BackendName, reason: string) => {
    skipped.push({ backend, reason });
    opts.log?.(`engine: skipped ${backend}: ${reason}`);
  };
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
    try {
      const info = await start(offer, opts.threads);
      for (const b of ALL) if (b !== backend && !skipped.some((s) => s.backend === b)) {
        skipped.push({ backend: b, reason: b === 'cpu' ? CPU_SKIPPED : `${backend} is preferred` });
      }
      return { ...info, skipped };
    } catch (err) {
      offer.release?.();
      skip(backend, `failed to start on ${offer.device}: ${reasonOf(err)}`);
    }
  }
  skip('cpu', CPU_SKIPPED);
  throw new Error(`No backend can train here: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

/** Sets the global tfjs backend for `request` using `probes`, and says what it chose and why. */
export async function selectBackend(request: BackendRequest, probes: EngineProbes, opts: EngineOptions = {}): Promise<EngineInfo> {
  const info = request === 'auto' ? await selectAuto(probes, opts) : await selectExplicit(request, probes, opts);
  opts.log?.(`engine: ${info.backend} (${info.provider}) on ${info.device}`);
  return info;
}
