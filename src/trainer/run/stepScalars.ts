// Step-level scalars: loss, learning rate, images/s (and per-head losses) while an epoch trains, written as
// `step` events through the run's EventLog (so they reach events.jsonl, --json stdout and the TensorBoard file).
//
// Usage, from any training loop:
//   const scalars = new StepScalars(events, { everySteps: everyStepsFor(totalSteps), everySeconds: 3 });
//   scalars.begin();                                          // training starts (after features/clustering)
//   scalars.record({ epoch, step, loss, lr, images });        // after every optimisation step
//   scalars.flush();                                          // end of the epoch's training: emit what is pending
//
// `step` is the global optimisation step (1-based count of steps since the run began, the same on resume);
// `loss` is the step's mean loss over its `images`. One event covers a window of steps: it is emitted once the
// window holds at least `everySteps` steps AND lasted at least `everySeconds` (whichever is rarer), so the
// rate is bounded both on fast GPUs (by steps) and for tiny batches (by time). The event carries the window's
// image-weighted mean loss, the last lr and the window's images per second.
import type { StepScalarsEvent } from '../../protocol/events';
import type { TrainerEventInput } from '../../runfolder/events';

export interface StepRecord {
  epoch: number;
  /** Global optimisation step after this one (1-based). */
  step: number;
  /** Mean loss over this step's images. */
  loss: number;
  lr: number;
  /** Images in this step's batch. */
  images: number;
  /** Per-head mean losses of this step (same length at every step). */
  headLosses?: number[];
  /** Fraction of this epoch's training done after this step (0..1]. */
  epochFraction?: number;
}

export interface StepScalarsOptions {
  /** Emit at most once per this many steps (see everyStepsFor). */
  everySteps: number;
  /** ... and at most once per this many seconds. */
  everySeconds: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

/** Where step events go: an EventLog, or anything with its emit. */
export interface StepEventSink {
  emit(event: TrainerEventInput): unknown;
}

/** Steps per event so that a run of `totalSteps` writes at most `maxEvents` step events (plus one per epoch). */
export function everyStepsFor(totalSteps: number, maxEvents = 20_000): number {
  return Math.max(1, Math.ceil(totalSteps / maxEvents));
}

/** Defaults for a run: about 20 000 step events at most, and none more often than every 3 s. */
export function defaultStepOptions(totalSteps: number): StepScalarsOptions {
  return { everySteps: everyStepsFor(totalSteps), everySeconds: 3 };
}

export class StepScalars {
  private readonly now: () => number;
  private windowStart: number;
  private steps = 0;
  private images = 0;
  private lossSum = 0;
  private headSums: number[] | undefined;
  private last: StepRecord | undefined;

  constructor(
    private readonly sink: StepEventSink,
    private readonly options: StepScalarsOptions,
  ) {
    if (!(options.everySteps >= 1) || !(options.everySeconds >= 0)) {
      throw new Error(
        `StepScalars: everySteps must be >= 1 and everySeconds >= 0 (got ${options.everySteps}, ${options.everySeconds})`,
      );
    }
    this.now = options.now ?? (() => performance.now());
    this.windowStart = this.now();
  }

  /** Training (re)starts: the time since the last window (features, clustering) does not count towards images/s. */
  begin(): void {
    this.reset();
  }

  /** One optimisation step done. Returns the event when this step closed a window. */
  record(r: StepRecord): StepScalarsEvent | undefined {
    if (!Number.isFinite(r.loss)) return undefined; // the loop reports divergence itself
    this.steps++;
    this.images += r.images;
    this.lossSum += r.loss * r.images;
    if (r.headLosses) {
      this.headSums ??= r.headLosses.map(() => 0);
      r.headLosses.forEach((l, i) => (this.headSums![i] = (this.headSums![i] ?? 0) + l * r.images));
    }
    this.last = r;
    const { everySteps, everySeconds } = this.options;
    if (this.steps >= everySteps && this.now() - this.windowStart >= everySeconds * 1000) return this.flush();
    return undefined;
  }

  /** Emits the pending window, if any (end of an epoch's training, or a stop). */
  flush(): StepScalarsEvent | undefined {
    const r = this.last;
    if (!r || this.steps === 0) return undefined;
    const seconds = (this.now() - this.windowStart) / 1000;
    const event: Omit<StepScalarsEvent, 't'> = {
      type: 'step',
      epoch: r.epoch,
      step: r.step,
      loss: round(this.lossSum / Math.max(1, this.images), 7),
      lr: r.lr,
      imagesPerSecond: seconds > 0 ? round(this.images / seconds, 5) : 0,
      ...(this.headSums ? { headLosses: this.headSums.map((s) => round(s / Math.max(1, this.images), 7)) } : {}),
      steps: this.steps,
      ...(r.epochFraction !== undefined ? { epochFraction: round(r.epochFraction, 5) } : {}),
    };
    this.reset();
    return this.sink.emit(event) as StepScalarsEvent;
  }

  private reset(): void {
    this.windowStart = this.now();
    this.steps = 0;
    this.images = 0;
    this.lossSum = 0;
    this.headSums = undefined;
    this.last = undefined;
  }
}

/** `digits` significant digits: losses are float32 sums, so more digits are noise and bytes in the log. */
function round(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}
