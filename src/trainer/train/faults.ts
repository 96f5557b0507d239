// Crash injection for the kill-and-resume tests: DEEPCLUSTER_FAULT="<phase>@<epoch>" makes the trainer SIGKILL
// itself in the middle of that phase (after the first batch of features/training, at the start of clustering,
// and just before the checkpoint's temp folder is renamed). A real SIGKILL: no handler, no cleanup runs.
import type { Phase } from '../../protocol/events';

const spec = process.env.DEEPCLUSTER_FAULT?.match(/^(features|clustering|training|checkpoint)@(\d+)$/);

/** `at`: a progress report (`done` items so far) or the checkpoint write about to be committed. */
export function crashIfRequested(epoch: number, phase: Phase, at: { done?: number } | 'checkpoint-rename'): void {
  if (!spec || spec[1] !== phase || Number(spec[2]) !== epoch) return;
  if (phase === 'checkpoint' && at !== 'checkpoint-rename') return;
  if ((phase === 'features' || phase === 'training') && (at === 'checkpoint-rename' || !at.done)) return; // mid-phase
  process.kill(process.pid, 'SIGKILL');
}
