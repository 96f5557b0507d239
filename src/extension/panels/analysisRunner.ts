// Spawns the trainer's analysis commands (`deepcluster thumbs|visualize ... --json`) and follows their JSON-lines
// stdout (src/protocol/analysis.ts AnalysisEvent): progress to the caller, the last `result` or `error` decides.
// A run can be cancelled (SIGTERM). Several may run at once; they only write the run's analysis/ and thumbs/.
import { spawn, type ChildProcess } from 'node:child_process';
import type { AnalysisEvent } from '../../protocol/analysis';
import { trainerCommand, type TrainerLaunch } from '../runManager';
import { LineSplitter } from '../../runfolder/events';

export interface AnalysisRun {
  done: Promise<AnalysisEvent | undefined>;
  cancel(): void;
}

const PHASES: Record<string, string> = {
  load: 'loading the checkpoint',
  'top-activations': 'top images',
  'gradient-ascent': 'gradient ascent',
  'top-layer': 'top layer',
  thumbnails: 'thumbnails',
};

export function runAnalysis(
  launch: TrainerLaunch,
  args: string[],
  progress: (done: number, total: number, message?: string) => void,
  log?: (line: string) => void,
): AnalysisRun {
  const cmd = trainerCommand(launch, [...args, '--json']);
  const child: ChildProcess = spawn(cmd.file, cmd.args, {
    env: cmd.env,
    cwd: launch.cwd,
    shell: false,
    windowsHide: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let result: AnalysisEvent | undefined;
  let error: string | undefined;
  let cancelled = false;
  const stderr: string[] = [];
  const lines = new LineSplitter();
  child.stdout!.on('data', (d: Buffer) => {
    for (const line of lines.push(d.toString('utf8'))) {
      let e: AnalysisEvent;
      try {
        e = JSON.parse(line) as AnalysisEvent;
      } catch {
        log?.(line);
        continue;
      }
      if (e.type === 'progress') progress(e.done, e.total, PHASES[e.phase] ?? e.phase);
      else if (e.type === 'result') result = e;
      else if (e.type === 'error') error = e.message;
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    const s = d.toString('utf8');
    stderr.push(s);
    log?.(s.trimEnd());
  });
  const done = new Promise<AnalysisEvent | undefined>((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`could not start the trainer: ${e.message}`)));
    child.on('close', (code) => {
      if (cancelled) reject(new Error('cancelled'));
      else if (error) reject(new Error(error));
      else if (code !== 0)
        reject(new Error(stderr.join('').trim().split('\n').pop() || `the trainer exited with code ${code}`));
      else resolve(result);
    });
  });
  return {
    done,
    cancel: () => {
      cancelled = true;
      child.kill('SIGTERM');
    },
  };
}
