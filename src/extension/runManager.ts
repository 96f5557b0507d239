// Spawns and follows trainer processes. No vscode import: the extension wires these events to its UI, and the
// tests drive the same class with a fake trainer script.
//   - several runs at once, keyed by run directory;
//   - started without a shell: node (process.execPath with ELECTRON_RUN_AS_NODE=1 inside VS Code) + trainerHost;
//   - re-attaches to live trainers after a window reload through their pid files, following events.jsonl;
//   - stop = SIGTERM (the trainer checkpoints, then exits), SIGKILL after a timeout;
//   - dispose() ends every trainer this instance spawned, so no orphans remain.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { TrainerEvent } from '../protocol';
import { EventTail, LineSplitter, parseEventLine } from '../runfolder/events';
import { pidLiveness, processExists, trainerLiveness } from '../runfolder/liveness';
import { applyEvent, emptyProgress, type RunProgress } from './trainerEvents';

export interface TrainerLaunch {
  /** The Node binary: process.execPath in VS Code (Electron), or a `node` on PATH when native backends need it. */
  nodePath: string;
  /** dist/trainer/cli.js */
  cliPath: string;
  /** dist/trainerHost.js; without it the CLI is spawned directly (no parent watchdog). */
  hostPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface RunExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedRun {
  runDir: string;
  pid: number | undefined;
  /** Spawned by this manager (false: re-attached to a trainer from an earlier window). */
  owned: boolean;
  progress: RunProgress;
  events: TrainerEvent[];
  exit?: RunExit;
  /** Resolves once the trainer has exited. */
  exited: Promise<RunExit>;
  stopRequested: boolean;
}

type Listener<T extends unknown[]> = (...args: T) => void;

export interface RunManagerOptions {
  launch: TrainerLaunch;
  /** How long stop waits for the clean checkpoint before SIGKILL. */
  stopTimeoutMs?: number;
  /** Poll period for re-attached runs (events.jsonl growth, pid liveness). */
  pollMs?: number;
}

/** The command line for one trainer invocation: no shell, arguments passed as an array. */
export function trainerCommand(
  launch: TrainerLaunch,
  args: string[],
): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const entry = launch.hostPath ? [launch.hostPath, launch.cliPath] : [launch.cliPath];
  // ELECTRON_RUN_AS_NODE makes VS Code's Electron binary behave as plain Node; harmless for a real node.
  const env = { ...process.env, ...launch.env, ELECTRON_RUN_AS_NODE: '1' };
  return { file: launch.nodePath, args: [...entry, ...args], env };
}

export class RunManager {
  private readonly runs = new Map<string, ManagedRun>();
  private readonly children = new Map<string, ChildProcess>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = {
    event: new Set<Listener<[ManagedRun, TrainerEvent]>>(),
    log: new Set<Listener<[ManagedRun, string, 'stdout' | 'stderr']>>(),
    exit: new Set<Listener<[ManagedRun, RunExit]>>(),
  };
  private readonly stopTimeoutMs: number;
  private readonly pollMs: number;
  private disposed = false;

  constructor(private readonly opts: RunManagerOptions) {
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;
    this.pollMs = opts.pollMs ?? 1000;
  }

  onEvent(l: Listener<[ManagedRun, TrainerEvent]>): () => void {
    this.listeners.event.add(l);
    return () => this.listeners.event.delete(l);
  }
  onLog(l: Listener<[ManagedRun, string, 'stdout' | 'stderr']>): () => void {
    this.listeners.log.add(l);
    return () => this.listeners.log.delete(l);
  }
  onExit(l: Listener<[ManagedRun, RunExit]>): () => void {
    this.listeners.exit.add(l);
    return () => this.listeners.exit.delete(l);
  }

  list(): ManagedRun[] {
    return [...this.runs.values()];
  }
  get(runDir: string): ManagedRun | undefined {
    return this.runs.get(resolve(runDir));
  }
  isActive(runDir: string): boolean {
    const r = this.get(runDir);
    return !!r && !r.exit;
  }

  /**
   * Spawns the trainer. `runDir` is where this run writes (the `--out` the caller passed, or the RUN of `resume`);
   * `--json` is appended so the trainer streams events on stdout.
   */
  start(runDir: string, args: string[]): ManagedRun {
    if (this.disposed) throw new Error('run manager is disposed');
    const key = resolve(runDir);
    if (this.isActive(key)) throw new Error(`a trainer is already running for ${key}`);
    const cmd = trainerCommand(this.opts.launch, [...args, '--json']);
    const child = spawn(cmd.file, cmd.args, {
      env: cmd.env,
      cwd: this.opts.launch.cwd,
      shell: false,
      detached: false, // same process group: a terminal's Ctrl+C or a group kill reaches it too
      windowsHide: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let resolveExit!: (e: RunExit) => void;
    const run: ManagedRun = {
      runDir: key,
      pid: child.pid,
      owned: true,
      progress: emptyProgress(),
      events: [],
      exited: new Promise((r) => (resolveExit = r)),
      stopRequested: false,
    };
    this.runs.set(key, run);
    this.children.set(key, child);
    this.follow(run, child, 'stdout', true);
    this.follow(run, child, 'stderr', false);
    const finish = (exit: RunExit) => {
      if (run.exit) return;
      run.exit = exit;
      this.children.delete(key);
      resolveExit(exit);
      for (const l of this.listeners.exit) l(run, exit);
    };
    child.on('error', (err) => {
      this.emitEvent(run, {
        type: 'error',
        t: new Date().toISOString(),
        message: `could not start the trainer: ${err.message}`,
      });
      finish({ code: null, signal: null });
    });
    child.on('close', (code, signal) => finish({ code, signal }));
    return run;
  }

  private follow(run: ManagedRun, child: ChildProcess, stream: 'stdout' | 'stderr', events: boolean): void {
    const split = new LineSplitter();
    const s = child[stream];
    if (!s) return;
    s.setEncoding('utf8');
    const handle = (line: string) => {
      const e = events ? parseEventLine(line) : undefined;
      if (e) this.emitEvent(run, e);
      else for (const l of this.listeners.log) l(run, line, stream);
    };
    s.on('data', (chunk: string) => split.push(chunk).forEach(handle));
    s.on('end', () => split.end().forEach(handle));
  }

  private emitEvent(run: ManagedRun, e: TrainerEvent): void {
    run.events.push(e);
    run.progress = applyEvent(run.progress, e);
    for (const l of this.listeners.event) l(run, e);
  }

  /**
   * Follows a trainer started by an earlier window (or a terminal): its pid file names a live process. Events come
   * from events.jsonl, read from `fromOffset` (0: replay everything). Returns undefined when nothing is alive.
   */
  attach(runDir: string, exists: (pid: number) => boolean = processExists): ManagedRun | undefined {
    const key = resolve(runDir);
    const existing = this.runs.get(key);
    if (existing && !existing.exit) return existing;
    const owner = trainerLiveness(key, exists);
    if (owner.liveness !== 'alive' || !owner.pid) return undefined;
    const info = owner.pid;
    const pid = info.pid;
    let resolveExit!: (e: RunExit) => void;
    const run: ManagedRun = {
      runDir: key,
      pid,
      owned: false,
      progress: emptyProgress(),
      events: [],
      exited: new Promise((r) => (resolveExit = r)),
      stopRequested: false,
    };
    this.runs.set(key, run);
    const tail = new EventTail(key);
    const readNew = () => {
      for (const e of tail.read()) this.emitEvent(run, e);
    };
    readNew();
    const timer = setInterval(() => {
      readNew();
      if (pidLiveness(info, exists) !== 'alive') {
        clearInterval(timer);
        this.timers.delete(timer);
        readNew();
        run.exit = { code: null, signal: null };
        resolveExit(run.exit);
        for (const l of this.listeners.exit) l(run, run.exit);
      }
    }, this.pollMs);
    timer.unref();
    this.timers.add(timer);
    return run;
  }

  /** Asks the trainer to stop (SIGTERM: it writes a clean checkpoint), and SIGKILLs it after the timeout. */
  async stop(runDir: string, timeoutMs = this.stopTimeoutMs): Promise<RunExit | undefined> {
    const run = this.get(runDir);
    if (!run || run.exit || run.pid === undefined) return run?.exit;
    run.stopRequested = true;
    const pid = run.pid;
    const signal = (sig: NodeJS.Signals) => {
      const child = this.children.get(run.runDir);
      try {
        if (child) child.kill(sig);
        else process.kill(pid, sig);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((r) => {
      timer = setTimeout(() => {
        signal('SIGKILL');
        r();
      }, timeoutMs);
    });
    await Promise.race([run.exited, killed]);
    clearTimeout(timer);
    return run.exited;
  }

  /**
   * Ends every trainer this manager spawned (SIGTERM, then SIGKILL after `timeoutMs`) and stops following the
   * others. Trainers it merely re-attached to (e.g. started in a terminal) are left running.
   */
  async dispose(timeoutMs = Math.min(this.stopTimeoutMs, 4000)): Promise<void> {
    this.disposed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    const owned = this.list().filter((r) => r.owned && !r.exit);
    await Promise.all(owned.map((r) => this.stop(r.runDir, timeoutMs)));
  }
}
