// What an epoch loop tells the run as it goes, whichever the recipe: phase progress, step-level scalars, and
// whether a stop was requested. The session turns these into events (src/runfolder/events.ts).
import type { Phase } from '../../protocol/events';
import type { StepRecord } from '../run/stepScalars';

export interface LoopProgress {
  phase(epoch: number, phase: Phase, done?: number, total?: number): void;
  /** Step-level scalars (a StepScalars): begun before an epoch's training, a record per step, flushed at its end. */
  steps?: { begin(): void; record(r: StepRecord): unknown; flush(): unknown };
  shouldStop(): boolean;
}

/** Times the phases of one epoch into `seconds`, announcing each phase as it starts. */
export function phaseTimer(progress: LoopProgress, epoch: number) {
  const seconds: Partial<Record<Phase | 'epoch', number>> = {};
  const started = performance.now();
  return {
    seconds,
    /** `announce` false: the work reports its own phase start (with its totals). */
    async time<T>(phase: Phase, work: () => Promise<T>, announce = true): Promise<T> {
      const t0 = performance.now();
      if (announce) progress.phase(epoch, phase);
      const r = await work();
      seconds[phase] = (performance.now() - t0) / 1000;
      return r;
    },
    /** Seconds since the epoch started. */
    elapsed: () => (performance.now() - started) / 1000,
  };
}
