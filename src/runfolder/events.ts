// events.jsonl: the append-only log of a run, one TrainerEvent per line. The trainer also mirrors each line to
// stdout, which is how the extension follows a live run. A trainer killed mid-write leaves a torn last line;
// readers skip it, and the next writer cuts it off before appending. Every scalar event (step, epoch,
// evaluation) also goes to the run's TensorBoard event file (tensorboard/writer.ts) as it is emitted.
import * as fs from 'node:fs';
import { TRAINER_EVENT_TYPES, type EpochMetrics, type TrainerEvent, type TrainerEventType } from '../protocol/events';
import { runFile } from './layout';
import { describeWriteError } from './atomic';
import { TensorboardWriter } from './tensorboard/writer';

/** A TrainerEvent without its timestamp (EventLog.emit stamps it). */
export type TrainerEventInput = TrainerEvent extends infer E
  ? E extends TrainerEvent
    ? Omit<E, 't'> & { t?: string }
    : never
  : never;

/** Events worth an fsync: losing one would lose an epoch's record. Progress ('phase') lines are not. */
const DURABLE: ReadonlySet<TrainerEventType> = new Set<TrainerEventType>([
  'start',
  'epoch',
  'checkpoint',
  'skipped',
  'evaluation',
  'done',
  'stopped',
  'error',
]);

export interface EventLogOptions {
  /** Mirror every event as a JSON line: true for process.stdout, or any writable stream. */
  mirror?: boolean | NodeJS.WritableStream;
  /** Also write <runDir>/tb/events.out.tfevents.* (default true). */
  tensorboard?: boolean;
}

export class EventLog {
  private constructor(
    readonly file: string,
    private fd: number | undefined,
    private readonly mirror: NodeJS.WritableStream | undefined,
    /** Bytes of a torn last line cut off when the log was opened (0 when the file ended cleanly). */
    readonly repairedBytes: number,
    /** The run's TensorBoard writer (undefined when disabled). */
    readonly tensorboard: TensorboardWriter | undefined,
  ) {}

  /** The last global step of a 'step' event, stamped into later epoch and evaluation events. */
  private lastStep: number | undefined;

  /** Open (create or append to) <runDir>/events.jsonl, cutting off a torn last line left by a killed trainer. */
  static open(runDir: string, options: EventLogOptions = {}): EventLog {
    const file = runFile(runDir, 'events');
    const repaired = cutTornTail(file);
    let fd: number;
    try {
      fd = fs.openSync(file, 'a');
    } catch (err) {
      throw describeWriteError(err, file);
    }
    const mirror = options.mirror === true ? process.stdout : options.mirror || undefined;
    let tb: TensorboardWriter | undefined;
    try {
      tb = options.tensorboard === false ? undefined : TensorboardWriter.open(runDir);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return new EventLog(file, fd, mirror, repaired, tb);
  }

  /** Append one event (stamped with the current time unless it has `t`). Epoch-level events are fsynced. */
  emit(input: TrainerEventInput): TrainerEvent {
    const event = { t: new Date().toISOString(), ...input } as TrainerEvent;
    if (event.type === 'step') this.lastStep = event.step;
    else if (
      (event.type === 'epoch' || event.type === 'evaluation') &&
      event.step === undefined &&
      this.lastStep !== undefined
    )
      event.step = this.lastStep;
    // `type` and `t` first in the line, for people reading the file.
    const { type, t, ...rest } = event as { type: string; t: string };
    const line = JSON.stringify({ type, t, ...rest }) + '\n';
    if (this.fd === undefined) throw new Error(`event log ${this.file} is closed`);
    try {
      fs.writeSync(this.fd, line);
      if (DURABLE.has(event.type)) fs.fsyncSync(this.fd);
    } catch (err) {
      throw describeWriteError(err, this.file);
    }
    if (this.tensorboard?.write(event) && DURABLE.has(event.type)) this.tensorboard.sync();
    this.mirror?.write(line);
    return event;
  }

  close(): void {
    this.tensorboard?.close();
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** If the file ends without a newline, truncate it after its last newline. Returns the bytes cut. */
function cutTornTail(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw describeWriteError(err, file);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return 0;
    // Scan backwards in blocks for the last '\n'.
    const block = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - block.length);
      const n = fs.readSync(fd, block, 0, end - start, start);
      const at = block.subarray(0, n).lastIndexOf(0x0a);
      if (at >= 0) {
        const keep = start + at + 1;
        if (keep < size) fs.ftruncateSync(fd, keep);
        return size - keep;
      }
      end = start;
    }
    fs.ftruncateSync(fd, 0);
    return size;
  } finally {
    fs.closeSync(fd);
  }
}

export interface ReadEventsResult {
  events: TrainerEvent[];
  /** The file ended in an unfinished line (a trainer killed mid-write); it was skipped. */
  torn: boolean;
  /** 1-based numbers of complete lines that were not valid events (skipped). */
  badLines: number[];
}

/** Parse events.jsonl text. Never throws: bad lines are skipped and reported. */
export function parseEvents(text: string): ReadEventsResult {
  const lines = text.split('\n');
  // The piece after the last '\n' is either '' (clean end) or a torn line.
  const tail = lines.pop() ?? '';
  const events: TrainerEvent[] = [];
  const badLines: number[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const event = parseEventLine(line);
    if (event) events.push(event);
    else badLines.push(i + 1);
  });
  let torn = false;
  if (tail.trim() !== '') {
    // A complete JSON object without its newline is still a good event (a writer other than ours).
    const event = parseEventLine(tail);
    if (event) events.push(event);
    else torn = true;
  }
  return { events, torn, badLines };
}

const EVENT_TYPES: ReadonlySet<string> = new Set<string>(TRAINER_EVENT_TYPES);

/**
 * One line as a TrainerEvent, or undefined when it is not one (blank, plain text, another JSON, unknown type).
 * The same parser reads events.jsonl and the trainer's --json stdout, where native libraries may print warnings.
 */
export function parseEventLine(line: string): TrainerEvent | undefined {
  const s = line.trim();
  if (!s.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(s) as { type?: unknown };
    return value && typeof value === 'object' && typeof value.type === 'string' && EVENT_TYPES.has(value.type)
      ? (value as TrainerEvent)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A run's events (the run folder, or the path of an events file). A missing file reads as no events. */
export function readEvents(runDirOrFile: string): ReadEventsResult {
  let file = runDirOrFile;
  try {
    if (fs.statSync(file).isDirectory()) file = runFile(file, 'events');
    return parseEvents(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], torn: false, badLines: [] };
    throw err;
  }
}

/** Per-epoch metrics (the last value wins when an epoch was redone after a resume), by epoch. */
export function epochMetrics(events: readonly TrainerEvent[]): EpochMetrics[] {
  const byEpoch = new Map<number, EpochMetrics>();
  for (const e of events) if (e.type === 'epoch') byEpoch.set(e.metrics.epoch, e.metrics);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** Splits a byte stream (the trainer's stdout) into lines, keeping an unfinished tail until the next chunk. */
export class LineSplitter {
  private tail = '';
  push(chunk: string): string[] {
    const parts = (this.tail + chunk).split(/\r?\n/);
    this.tail = parts.pop() ?? '';
    return parts.filter((l) => l.length > 0);
  }
  end(): string[] {
    const rest = this.tail;
    this.tail = '';
    return rest.length ? [rest] : [];
  }
}

/** Follows a run's events.jsonl as a live trainer appends to it: each read() returns the events added since. */
export class EventTail {
  private readonly file: string;
  private readonly split = new LineSplitter();
  private offset = 0;

  constructor(runDir: string) {
    this.file = runFile(runDir, 'events');
  }

  read(): TrainerEvent[] {
    const out: TrainerEvent[] = [];
    let fd: number | undefined;
    try {
      const size = fs.statSync(this.file).size;
      if (size <= this.offset) return out;
      fd = fs.openSync(this.file, 'r');
      const buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      for (const line of this.split.push(buf.toString('utf8'))) {
        const e = parseEventLine(line);
        if (e) out.push(e);
      }
    } catch {
      // not there yet: try again next time
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    return out;
  }
}
