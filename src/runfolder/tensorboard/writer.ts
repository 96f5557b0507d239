// <run>/tb/events.out.tfevents.<unix seconds>.<host>: the run's scalars as a TensorBoard event file, so that
// `tensorboard --logdir .deepcluster/runs` shows every run. The event log feeds it each event as it is emitted;
// records are appended with one write each (a killed trainer leaves at most a torn last record, which
// TensorBoard's reader stops at). A resumed run opens a new file beside the old ones, as TensorFlow does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TrainerEvent } from '../../protocol/events';
import { describeWriteError } from '../atomic';
import { encodeEvent } from './eventProto';
import { scalarsOf } from './scalars';
import { tfRecord } from './tfrecord';

export const TB_DIR = 'tb';
export const TB_FILE_VERSION = 'brain.Event:2';

export class TensorboardWriter {
  private constructor(
    readonly file: string,
    private fd: number | undefined,
  ) {}

  /** Creates a new event file under <runDir>/tb, its first record the file_version event. */
  static open(runDir: string, now = new Date()): TensorboardWriter {
    const dir = path.join(runDir, TB_DIR);
    const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_') || 'localhost';
    const base = path.join(dir, `events.out.tfevents.${Math.floor(now.getTime() / 1000)}.${host}`);
    let fd: number | undefined;
    let file = base;
    try {
      fs.mkdirSync(dir, { recursive: true });
      // Two writers in the same second (a quick resume) get distinct files.
      for (let i = 0; fd === undefined; i++) {
        file = i === 0 ? base : `${base}.${process.pid}.${i}`;
        try {
          fd = fs.openSync(file, 'wx');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i > 100) throw err;
        }
      }
    } catch (err) {
      throw describeWriteError(err, file);
    }
    const w = new TensorboardWriter(file, fd);
    w.append(encodeEvent({ wallTime: now.getTime() / 1000, step: 0, fileVersion: TB_FILE_VERSION }));
    return w;
  }

  /** Appends the event's scalars (if it has any). Returns whether a record was written. */
  write(event: TrainerEvent): boolean {
    const s = scalarsOf(event);
    if (!s || s.scalars.length === 0) return false;
    this.append(encodeEvent({ wallTime: s.wallTime, step: s.step, scalars: s.scalars }));
    return true;
  }

  sync(): void {
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private append(data: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`TensorBoard file ${this.file} is closed`);
    try {
      fs.writeSync(this.fd, tfRecord(data));
    } catch (err) {
      throw describeWriteError(err, this.file);
    }
  }
}
