// One epoch through the real CLI, stopped as soon as the epoch's metrics are written: the end-of-training quality
// report (kNN, k-means, linear probe on labelled data) is not part of an epoch's cost and would double the wait.
import { spawn } from 'node:child_process';
import type { EpochMetrics } from '../protocol/events';
import { openCheckpoint, verifyCheckpoint } from '../runfolder/checkpoints';
import { checkpointDir } from '../runfolder/layout';

/** Runs `node cli.js train ...args --out runDir`; resolves with epoch 0's metrics, or throws the trainer's last line. */
export async function trainOneEpoch(
  cli: string,
  runDir: string,
  args: string[],
  opts: { echo?: boolean; stopEarly?: () => boolean } = {},
): Promise<EpochMetrics> {
  const first = checkpointDir(runDir, 0);
  const written = () => verifyCheckpoint(first).complete;
  const child = spawn(process.execPath, [cli, 'train', ...args, '--epochs', '1', '--out', runDir], {
    stdio: ['ignore', opts.echo ? 'inherit' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (opts.echo) process.stderr.write(b);
  });
  let stopped = false;
  const code = await new Promise<number | null>((done) => {
    const poll = setInterval(() => {
      if (written()) child.kill('SIGKILL');
      else if (opts.stopEarly?.()) {
        stopped = true;
        child.kill('SIGKILL');
      }
    }, 250);
    child.on('close', (c) => {
      clearInterval(poll);
      done(c);
    });
  });
  if (!written()) {
    if (stopped) throw new Error('stopped before the epoch ended: past the time budget');
    // Dawn's own "Warning: ..." lines are not the trainer's reason.
    const last =
      stderr
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('Warning:'))
        .pop() ?? '';
    throw new Error(`train exited ${code ?? 'killed'} without an epoch: ${last}`);
  }
  return openCheckpoint(first).json<EpochMetrics>('metrics')!;
}
