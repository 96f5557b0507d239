import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainerEvent } from '../../../src/protocol/events';
import { EventLog, readEvents } from '../../../src/runfolder/events';
import { StepScalars } from '../../../src/trainer/run/stepScalars';
import { crc32c, maskedCrc32c } from '../../../src/runfolder/tensorboard/crc32c';
import { crc32cBitwise, mask, readEventFile, type ReadEvent } from './tfeventsReader';
import { fakeMetrics, tempDir } from '../run/fixture';

const tbFiles = (dir: string) =>
  fs
    .readdirSync(path.join(dir, 'tb'))
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort()
    .map((f) => path.join(dir, 'tb', f));

test('CRC-32C: the standard check value, and the writer agrees with the bitwise reader', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32cBitwise(check), 0xe3069283);
  assert.equal(crc32c(check), 0xe3069283);
  // RFC 3720 B.4: 32 bytes of zeros.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  const random = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) & 255);
  assert.equal(maskedCrc32c(random), mask(crc32cBitwise(random)));
});

/** What the run's TB file must hold for one event, written here from the tag list in the README. */
function expected(e: TrainerEvent): { step: number; values: Record<string, number> } | undefined {
  const f = Math.fround;
  if (e.type === 'step') {
    const values: Record<string, number> = {
      'train/loss': f(e.loss),
      'train/lr': f(e.lr),
      'train/images_per_second': f(e.imagesPerSecond),
    };
    e.headLosses?.forEach((l, i) => (values[`train/head_${i}_loss`] = f(l)));
    return { step: e.step, values };
  }
  if (e.type === 'epoch') {
    const m = e.metrics;
    const values: Record<string, number> = {
      'epoch/loss': f(m.loss),
      'clusters/empty': m.clusters.empty,
      'clusters/largest': m.clusters.largest,
      'clusters/smallest': m.clusters.smallest,
    };
    const opt: [string, number | undefined][] = [
      ['epoch/nmi_prev', m.nmiPrev],
      ['epoch/nmi_labels', m.nmiLabels],
      ['epoch/nmi_labels_arithmetic', m.nmiLabelsArithmetic],
      ['epoch/ari', m.ari],
      ['epoch/accuracy', m.accuracy],
      ['epoch/purity', m.purity],
      ['epoch/kmeans_objective', m.clusteringObjective],
      ['seconds/epoch', m.seconds.epoch],
      ['seconds/features', m.seconds.features],
      ['seconds/clustering', m.seconds.clustering],
      ['seconds/training', m.seconds.training],
      ['seconds/checkpoint', m.seconds.checkpoint],
      ['seconds/evaluation', m.seconds.evaluation],
    ];
    for (const [k, v] of opt) if (v !== undefined) values[k] = f(v);
    return { step: e.step ?? m.epoch, values }; // epoch index when the run records no steps
  }
  if (e.type === 'evaluation' && e.knnAccuracy !== undefined)
    return { step: e.step ?? 0, values: { 'eval/knn_accuracy': f(e.knnAccuracy) } };
  return undefined;
}

function compare(events: TrainerEvent[], tb: ReadEvent[]): void {
  const want = events.map((e) => ({ e, x: expected(e) })).filter((w) => w.x);
  assert.equal(tb.length, want.length, 'one TB record per scalar event');
  want.forEach(({ e, x }, i) => {
    const got = tb[i]!;
    assert.equal(got.wallTime, Date.parse(e.t) / 1000, `record ${i}: wall time`);
    assert.equal(got.step, x!.step, `record ${i}: step`);
    assert.deepEqual(
      Object.fromEntries(got.values.map((v) => [v.tag, v.simpleValue])),
      x!.values,
      `record ${i} (${e.type})`,
    );
    assert.equal(got.values.length, Object.keys(x!.values).length, `record ${i}: no duplicate tags`);
  });
}

test('every scalar event goes to tb/events.out.tfevents.*, and the independent reader finds the same values', async () => {
  const dir = await tempDir();
  const log = EventLog.open(dir);
  assert.match(path.basename(log.tensorboard!.file), /^events\.out\.tfevents\.\d{10}\.[A-Za-z0-9._-]+$/);
  log.emit({
    type: 'start',
    runDir: dir,
    epochs: 2,
    startEpoch: 0,
    engine: { backend: 'cpu', device: 'test' } as never,
    images: 100,
  });
  const scalars = new StepScalars(log, { everySteps: 3, everySeconds: 0 });
  for (let epoch = 0; epoch < 2; epoch++) {
    log.emit({ type: 'phase', epoch, phase: 'training' });
    scalars.begin();
    for (let b = 0; b < 10; b++) {
      scalars.record({
        epoch,
        step: epoch * 10 + b + 1,
        loss: 4.6 - 0.1 * b - epoch + 1e-3 / 3,
        lr: 0.05 / (epoch + 1),
        images: 10,
        headLosses: [1 / 3, 2.5 + b],
        epochFraction: (b + 1) / 10,
      });
    }
    scalars.flush();
    log.emit({ type: 'epoch', metrics: { ...fakeMetrics(epoch), purity: 0.123456789, nmiLabelsArithmetic: 0.4 } });
    // The reader sees each record as soon as it is emitted (appended, not buffered).
    const now = readEventFile(fs.readFileSync(log.tensorboard!.file));
    assert.deepEqual(
      now.at(-1)!.values.find((v) => v.tag === 'epoch/loss')?.simpleValue,
      Math.fround(fakeMetrics(epoch).loss),
    );
  }
  log.emit({ type: 'evaluation', knnAccuracy: 0.8125, k: 20, heldOut: 10 });
  log.emit({ type: 'done', epochs: 2, runDir: dir });
  log.close();

  const { events } = await readEvents(dir);
  const steps = events.filter((e) => e.type === 'step');
  assert.deepEqual(
    steps.map((e) => e.type === 'step' && e.step),
    [3, 6, 9, 10, 13, 16, 19, 20],
  );
  // Epoch and evaluation events carry the global step of the epoch's end.
  assert.deepEqual(
    events.filter((e) => e.type === 'epoch').map((e) => e.type === 'epoch' && e.step),
    [10, 20],
  );
  const files = tbFiles(dir);
  assert.equal(files.length, 1);
  const tb = readEventFile(fs.readFileSync(files[0]!));
  assert.equal(tb[0]!.fileVersion, 'brain.Event:2');
  assert.equal(tb[0]!.values.length, 0);
  assert.ok(Math.abs(tb[0]!.wallTime - Date.now() / 1000) < 60);
  compare(events, tb.slice(1));
  assert.equal(tb.length, 1 + 8 + 2 + 1);
});

test('the reader rejects a corrupted byte; a resumed run writes a second file; tensorboard: false writes none', async () => {
  const dir = await tempDir();
  const log = EventLog.open(dir);
  log.emit({ type: 'epoch', metrics: fakeMetrics(0) });
  log.close();
  const [file] = tbFiles(dir);
  const bytes = fs.readFileSync(file!);
  assert.equal(readEventFile(bytes).length, 2);
  for (const at of [3, 10, 30, bytes.length - 2]) {
    const bad = Buffer.from(bytes);
    bad[at] ^= 0x10;
    assert.throws(() => readEventFile(bad), /CRC|truncated/, `flipped byte ${at}`);
  }
  assert.throws(() => readEventFile(bytes.subarray(0, bytes.length - 3)), /truncated/);
  // Resume: a new EventLog on the same run adds a file; both read back, each starting with file_version.
  const again = EventLog.open(dir);
  again.emit({ type: 'step', epoch: 1, step: 5, loss: 1.5, lr: 0.05, imagesPerSecond: 100, steps: 5 });
  again.emit({ type: 'epoch', metrics: fakeMetrics(1) });
  again.close();
  const files = tbFiles(dir);
  assert.equal(files.length, 2);
  const all = files.flatMap((f) => readEventFile(fs.readFileSync(f)));
  assert.deepEqual(
    all.map((e) => e.fileVersion ?? e.step),
    ['brain.Event:2', 0, 'brain.Event:2', 5, 5],
  );
  compare(
    (await readEvents(dir)).events,
    all.filter((e) => !e.fileVersion),
  );
  // Opted out.
  const plain = await tempDir();
  const p = EventLog.open(plain, { tensorboard: false });
  p.emit({ type: 'epoch', metrics: fakeMetrics(0) });
  p.close();
  assert.equal(fs.existsSync(path.join(plain, 'tb')), false);
});
