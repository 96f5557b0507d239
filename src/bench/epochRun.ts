// One epoch through the real CLI, stopped as soon as the epoch's metrics are written: the end-of-training quality
// report (kNN, k-means, linear probe on labelled data) is not part of an epoch's cost and would double the wait.
import { spawn } from 'node:child_process';
import type { EpochMetrics } from '../protocol/events';
import { openCheckpoint, verifyCheckpoint } from '../runfolder/checkpoints';
import { checkpointDir } from '../runfolder/layout';

/** Runs `node cli.js train ...args --out runDir`; resolves with epoch 0's metrics, or throws the trainer's last line. */
export async function trainOneEpoch(cli: string, runDir: string, args: string[], opts: { echo?: boolean; stopEarly?: () => boolean } = {}): Promise<EpochMetrics> {
  const first = checkpointDir(runDir, 0);
  const written = () => verifyCheckpoint(first).complete;
  const child = spawn(process.execPath, [cli, 'train', ...args, '--epochs', '1', '--out', runDir], { stdio: ['ignore', opts.echo ? 'inherit' : 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (opts.echo) process.stderr.write(b);
  });
  const code = await new Promise<number | null>((done) => {
    const poll = setInterval(() => {
      if (written() || opts.stopEarly?.()) child.kill('SIGKILL');
    }, 250);
    child.on('close', (c) => {
      clearInterval(poll);
      done(c);
    });
  });
  if (!written()) throw new Error(`train exited ${code ?? 'killed'} without an epoch: ${stderr.trim().split('\n').pop() ?? ''}`);
  return openCheckpoint(first).json<EpochMetrics>('metrics')!;
}
