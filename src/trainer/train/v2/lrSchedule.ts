// DeepCluster-v2's learning-rate schedule, per optimisation step: linear warm-up from `start` to `base` over the
// first warm-up steps, then a half cosine from `base` down to `final` (swav: 0.3 -> 4.8 over 10 epochs, cosine to
// 0.0048). A pure function of the step, so `resume` continues the same curve.
export interface LrSchedule {
  base: number;
  start: number;
  final: number;
  warmupSteps: number;
  totalSteps: number;
}

export function learningRate(s: LrSchedule, step: number): number {
  if (step < s.warmupSteps) return s.start + ((s.base - s.start) * step) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const t = Math.min(1, (step - s.warmupSteps) / span);
  return s.final + 0.5 * (s.base - s.final) * (1 + Math.cos(Math.PI * t));
}
