// Workspace trust: in Restricted Mode browsing runs and checkpoints works, training does not, because training
// runs code (the trainer, native backends) on files from the workspace and writes into it.
export const RESTRICTED_TRAINING =
  "Training is disabled in Restricted Mode: it runs the trainer on this workspace's files and writes into it. " +
  'Trust the workspace to train; browsing runs and checkpoints works without it.';

/** Commands that run the trainer (or install packages) and so need a trusted workspace. */
export const TRUSTED_COMMANDS = new Set([
  'deepcluster.train',
  'deepcluster.trainFolder',
  'deepcluster.trainSample',
  'deepcluster.resume',
  'deepcluster.setupGpu',
  'deepcluster.clusterWithPretrained',
]);

/** Undefined when the command may run; else the explanation to show. */
export function blockedReason(command: string, trusted: boolean): string | undefined {
  return !trusted && TRUSTED_COMMANDS.has(command) ? RESTRICTED_TRAINING : undefined;
}
