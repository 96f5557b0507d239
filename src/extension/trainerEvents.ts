// What the progress notification, the status bar and the tree show while a run trains, folded from its events
// (parsed by src/runfolder/events.ts from the trainer's stdout or events.jsonl).
import type { Phase, TrainerEvent } from '../protocol';

/** What a progress notification shows while a run trains. Built from the events seen so far. */
export interface RunProgress {
  epoch: number;
  /** Epochs this run will reach (start event's `epochs`). */
  epochs: number;
  startEpoch: number;
  phase?: Phase;
  phaseDone?: number;
  phaseTotal?: number;
  /** ms timestamps of the start event and of the last finished epoch, for the ETA. */
  startedAt?: number;
  epochsFinished: number;
  lastEpochAt?: number;
  lastLoss?: number;
  lastNmi?: number;
  finished?: 'done' | 'stopped' | 'error';
  error?: string;
}

export function emptyProgress(): RunProgress {
  return { epoch: 0, epochs: 0, startEpoch: 0, epochsFinished: 0 };
}

/** Folds one event into the progress. Pure, so the notification, status bar and tests share it. */
export function applyEvent(p: RunProgress, e: TrainerEvent): RunProgress {
  const at = Date.parse(e.t);
  switch (e.type) {
    case 'start':
      return {
        ...p,
        epochs: e.epochs,
        startEpoch: e.startEpoch,
        epoch: e.startEpoch,
        startedAt: at,
        epochsFinished: 0,
      };
    case 'phase':
      return { ...p, epoch: e.epoch, phase: e.phase, phaseDone: e.done, phaseTotal: e.total };
    case 'epoch':
      return {
        ...p,
        epoch: e.metrics.epoch,
        epochsFinished: p.epochsFinished + 1,
        lastEpochAt: at,
        lastLoss: e.metrics.loss,
        lastNmi: e.metrics.nmiLabels ?? e.metrics.nmiPrev ?? p.lastNmi,
      };
    case 'done':
      return { ...p, finished: 'done', phase: undefined };
    case 'stopped':
      return { ...p, finished: 'stopped', phase: undefined };
    case 'error':
      return { ...p, finished: 'error', error: e.message };
    default:
      return p;
  }
}

/** Seconds left, from the mean time of the epochs finished in this session; undefined before the first one. */
export function etaSeconds(p: RunProgress): number | undefined {
  if (!p.startedAt || !p.lastEpochAt || p.epochsFinished < 1) return undefined;
  const perEpoch = (p.lastEpochAt - p.startedAt) / 1000 / p.epochsFinished;
  const left = p.epochs - p.startEpoch - p.epochsFinished;
  return Math.max(0, Math.round(perEpoch * left));
}

export function formatDuration(s: number): string {
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** One line such as "epoch 3/10 · clustering · ETA 4m 10s". Epochs are shown 1-based. */
export function describeProgress(p: RunProgress): string {
  const parts = [p.epochs ? `epoch ${Math.min(p.epoch + 1, p.epochs)}/${p.epochs}` : 'starting'];
  if (p.phase) parts.push(p.phaseTotal ? `${p.phase} ${p.phaseDone ?? 0}/${p.phaseTotal}` : p.phase);
  const eta = etaSeconds(p);
  if (eta !== undefined && !p.finished) parts.push(`ETA ${formatDuration(eta)}`);
  return parts.join(' · ');
}
