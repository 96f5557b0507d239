import type { EngineInfo } from './engine';

/** The phases of one DeepCluster epoch, named in the paper's words. */
export type Phase = 'features' | 'clustering' | 'training' | 'checkpoint' | 'evaluation';

export interface EpochMetrics {
  epoch: number;
  /** Mean cross-entropy over the epoch's training batches. */
  loss: number;
  /** Sum of squared distances at the last k-means assignment step (faiss's `obj`). */
  clusteringObjective?: number;
  /** NMI between this epoch's and the previous epoch's assignments (geometric normaliser); absent at epoch 0. */
  nmiPrev?: number;
  /** Against the dataset's labels, when it has them. */
  nmiLabels?: number;
  nmiLabelsArithmetic?: number;
  ari?: number;
  /** Hungarian (one cluster per class) accuracy: at most classes/k when k exceeds the number of classes. */
  accuracy?: number;
  /** Majority-vote accuracy: each cluster predicts its most frequent label (the readable one when k >> classes). */
  purity?: number;
  clusters: { k: number; empty: number; largest: number; smallest: number };
  /** Seconds per phase. */
  seconds: Partial<Record<Phase, number>> & { epoch: number };
}

/** One feature set's scores in a quality report (labelled data only; labels are never used in training). */
export interface QualityRow {
  features: 'pixels' | 'untrained' | 'trained';
  dim: number;
  /** kNN-20 (cosine) accuracy on the held-out images. */
  knn20: number;
  /** NMI (geometric) of k-means at the number of classes, mean and std over 5 seeds. */
  kmeansNmi: number;
  kmeansNmiStd: number;
  /** Logistic regression on the frozen features, held-out accuracy. */
  linearProbe: number;
  seconds: number;
}

export interface QualityReport {
  classes: number;
  trainImages: number;
  heldOut: number;
  /** What the held-out images are: a seeded fraction of the run's dataset, or a separate test set. */
  split: string;
  rows: QualityRow[];
}

/**
 * Step-level training scalars (src/trainer/run/stepScalars.ts), one event per throttle window: every N
 * optimisation steps or every few seconds, whichever is rarer. `t` is the wall time at the window's end.
 */
export interface StepScalarsEvent {
  type: 'step';
  t: string;
  epoch: number;
  /** Global optimisation step (1-based count of steps done since the run began) at the window's end. */
  step: number;
  /** Mean training loss over the window's images. */
  loss: number;
  /** Learning rate at the window's last step. */
  lr: number;
  /** Images trained per second over the window (data loading included). */
  imagesPerSecond: number;
  /** Mean loss per head, where the recipe has several heads (DeepCluster-v2's prototypes). */
  headLosses?: number[];
  /** Optimisation steps averaged into this event. */
  steps: number;
  /** Fraction of this epoch's training done at the window's end (0..1], when the loop knows it. */
  epochFraction?: number;
}

/** One line of events.jsonl, and of the trainer's stdout stream. `t` is an ISO timestamp. */
export type TrainerEvent =
  | { type: 'start'; t: string; runDir: string; epochs: number; startEpoch: number; engine: EngineInfo; images: number }
  | { type: 'phase'; t: string; epoch: number; phase: Phase; done?: number; total?: number }
  /** `step` (here and in 'evaluation'): the last global step, stamped by the event log when the run records steps. */
  | { type: 'epoch'; t: string; metrics: EpochMetrics; step?: number }
  | StepScalarsEvent
  /** v2: the clustering of the untrained network's memory bank, before the first step (what training starts from). */
  | { type: 'initialClustering'; t: string; metrics: Omit<EpochMetrics, 'loss' | 'seconds'> }
  | { type: 'checkpoint'; t: string; epoch: number; path: string }
  | { type: 'warning'; t: string; message: string; file?: string }
  | { type: 'skipped'; t: string; count: number; listFile: string }
  | {
      type: 'evaluation';
      t: string;
      knnAccuracy?: number;
      k?: number;
      heldOut?: number;
      quality?: QualityReport;
      step?: number;
    }
  | { type: 'done'; t: string; epochs: number; runDir: string }
  | { type: 'stopped'; t: string; epoch: number; reason: string }
  | { type: 'error'; t: string; message: string };

export type TrainerEventType = TrainerEvent['type'];

/** Every event type, for readers that must tell an event line from anything else. */
export const TRAINER_EVENT_TYPES = [
  'start',
  'phase',
  'step',
  'epoch',
  'initialClustering',
  'checkpoint',
  'warning',
  'skipped',
  'evaluation',
  'done',
  'stopped',
  'error',
] as const satisfies readonly TrainerEventType[];
