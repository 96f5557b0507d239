// Who owns a run folder right now: <run>/trainer.pid names the live trainer by pid, host and the process's start
// time, so that a pid reused by another process, or a trainer on another machine sharing the folder, is not
// taken for a live trainer. The one liveness check of the project: the trainer, `inspect` and the extension.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { writeFileAtomic } from './atomic';
import { runFile } from './layout';

export interface PidInfo {
  pid: number;
  /** ISO time the trainer started. */
  started: string;
  host: string;
  /** Linux: start time of the process in clock ticks since boot (field 22 of /proc/<pid>/stat); tells pid reuse. */
  procStart?: string;
}

/** alive: its process runs; stale: gone (or the pid is another process now); unknown: another host; none: no file. */
export type TrainerLiveness = 'alive' | 'stale' | 'none' | 'unknown';

/** Whether a process with this pid exists (signal 0 sends nothing; EPERM means it exists, owned by another user). */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function procStartOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields after the last ')' are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // field 22 overall = index 19 after state (field 3)
  } catch {
    return undefined;
  }
}

/** Write <run>/trainer.pid for this process: "pid\nstarted\nhost\nprocStart\n" (first line alone works with kill). */
export async function writePidFile(runDir: string, now = new Date()): Promise<PidInfo> {
  const info: PidInfo = {
    pid: process.pid,
    started: now.toISOString(),
    host: os.hostname(),
    procStart: procStartOf(process.pid),
  };
  await writeFileAtomic(
    runFile(runDir, 'pid'),
    [String(info.pid), info.started, info.host, info.procStart ?? ''].join('\n') + '\n',
  );
  return info;
}

export async function removePidFile(runDir: string): Promise<void> {
  await fs.promises.rm(runFile(runDir, 'pid'), { force: true });
}

export function readPidFile(runDir: string): PidInfo | undefined {
  let text: string;
  try {
    text = fs.readFileSync(runFile(runDir, 'pid'), 'utf8');
  } catch {
    return undefined;
  }
  const [pid, started, host, procStart] = text.split('\n');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return { pid: n, started: started ?? '', host: host ?? '', procStart: procStart || undefined };
}

/** Whether the trainer a pid file names still runs. `exists` is injectable for tests. */
export function pidLiveness(info: PidInfo, exists: (pid: number) => boolean = processExists): TrainerLiveness {
  if (info.host && info.host !== os.hostname()) return 'unknown';
  if (!exists(info.pid)) return 'stale';
  if (info.procStart) {
    const now = procStartOf(info.pid);
    if (now !== undefined && now !== info.procStart) return 'stale';
  }
  return 'alive';
}

/** The liveness of the trainer named in a run's pid file. */
export function trainerLiveness(
  runDir: string,
  exists?: (pid: number) => boolean,
): { liveness: TrainerLiveness; pid?: PidInfo } {
  const info = readPidFile(runDir);
  return info ? { liveness: pidLiveness(info, exists), pid: info } : { liveness: 'none' };
}
