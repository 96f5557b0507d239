// What a live run is doing and how long it has left: the run chip's "epoch 4/15 · training 40% · ETA 1h 05m",
// and the per-epoch phase timeline (features / clustering / training / checkpoint), the epoch in progress last.
import type { Phase } from '../../src/protocol/events';
import type { RunSeries } from '../../src/protocol/webview';
import { formatElapsed } from './xAxis';

export const TIMELINE_PHASES: Phase[] = ['features', 'clustering', 'training', 'checkpoint', 'evaluation'];

/** Epochs finished: one past the last epoch with metrics. */
const epochsDone = (r: RunSeries) => (r.metrics.length ? r.metrics[r.metrics.length - 1]!.epoch + 1 : 0);

/**
 * Seconds left: the mean length of the last (up to 5) finished epochs times the epochs left, less the time the
 * epoch in progress has run. Undefined before an epoch has finished, or when the run is not live.
 */
export function etaSeconds(r: RunSeries, now: number): number | undefined {
  if (!r.live || !r.epochs) return undefined;
  const recent = r.metrics
    .slice(-5)
    .map((m) => m.seconds?.epoch)
    .filter((s): s is number => typeof s === 'number' && Number.isFinite(s) && s > 0);
  if (!recent.length) return undefined;
  const perEpoch = recent.reduce((a, b) => a + b, 0) / recent.length;
  const started = r.current?.phases[0]?.start;
  const running = started !== undefined ? Math.max(0, now - started) : 0;
  const left = Math.max(0, r.epochs - epochsDone(r));
  return Math.max(0, left * perEpoch - Math.min(running, perEpoch));
}

/** "epoch 4/15 · training 40% · ETA 1h 05m" for a live run; "" otherwise. Epochs shown 1-based. */
export function describeLive(r: RunSeries, now: number): string {
  if (!r.live) return '';
  const parts: string[] = [];
  const epoch = r.current?.epoch ?? epochsDone(r);
  if (r.epochs) parts.push(`epoch ${Math.min(epoch + 1, r.epochs)}/${r.epochs}`);
  const c = r.current;
  const phase = c?.phases.at(-1)?.phase;
  if (phase) parts.push(c!.total ? `${phase} ${Math.floor((100 * (c!.done ?? 0)) / c!.total)}%` : phase);
  const eta = etaSeconds(r, now);
  if (eta !== undefined) parts.push(`ETA ${formatElapsed(Math.round(eta))}`);
  return parts.join(' · ');
}

export interface TimelineRow {
  epoch: number;
  live: boolean;
  segments: { phase: Phase; seconds: number }[];
  total: number;
}

/** The last `rows` epochs' phase durations (finished epochs from their metrics, the live one from its phase starts). */
export function timelineRows(r: RunSeries, now: number, rows = 8): TimelineRow[] {
  const out: TimelineRow[] = r.metrics.slice(-rows).map((m) => {
    const segments = TIMELINE_PHASES.map((phase) => ({ phase, seconds: m.seconds?.[phase] ?? 0 })).filter(
      (s) => s.seconds > 0,
    );
    return { epoch: m.epoch, live: false, segments, total: segments.reduce((a, s) => a + s.seconds, 0) };
  });
  const c = r.current;
  if (c?.phases.length) {
    const segments = c.phases.map((p, i) => ({
      phase: p.phase,
      seconds: Math.max(0, (c.phases[i + 1]?.start ?? (r.live ? now : p.start)) - p.start),
    }));
    out.push({ epoch: c.epoch, live: r.live, segments, total: segments.reduce((a, s) => a + s.seconds, 0) });
    if (out.length > rows) out.shift();
  }
  return out;
}
