import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StepScalarsEvent } from '../../../src/protocol/events';
import { EventLog, readEvents, type TrainerEventInput } from '../../../src/runfolder/events';
import { defaultStepOptions, everyStepsFor, StepScalars } from '../../../src/trainer/run/stepScalars';
import { tempDir } from './fixture';

function fakeClock() {
  const clock = { ms: 0, now: () => clock.ms };
  return clock;
}
function collector() {
  const out: StepScalarsEvent[] = [];
  return { out, emit: (e: TrainerEventInput) => (out.push({ t: 'x', ...e } as StepScalarsEvent), e) };
}

test('a window closes after everySteps steps AND everySeconds, whichever is rarer', () => {
  const clock = fakeClock();
  const sink = collector();
  const s = new StepScalars(sink, { everySteps: 4, everySeconds: 10, now: clock.now });
  // Fast steps (1 s each): the time bound rules, one event per 10 steps.
  for (let i = 1; i <= 25; i++) {
    clock.ms += 1000;
    s.record({ epoch: 0, step: i, loss: i, lr: 0.05, images: 8 });
  }
  assert.deepEqual(
    sink.out.map((e) => e.step),
    [10, 20],
  );
  assert.deepEqual(
    sink.out.map((e) => e.steps),
    [10, 10],
  );
  // Mean loss of steps 1..10 and 11..20; 80 images in 10 s.
  assert.equal(sink.out[0]!.loss, 5.5);
  assert.equal(sink.out[1]!.loss, 15.5);
  assert.equal(sink.out[0]!.imagesPerSecond, 8);
  // Slow steps (20 s each): the step bound rules, one event per 4 steps.
  s.flush();
  sink.out.length = 0;
  for (let i = 26; i <= 37; i++) {
    clock.ms += 20_000;
    s.record({ epoch: 1, step: i, loss: 1, lr: 0.01, images: 8 });
  }
  assert.deepEqual(
    sink.out.map((e) => e.step),
    [29, 33, 37],
  );
  assert.equal(sink.out[0]!.imagesPerSecond, 0.4);
  assert.equal(sink.out[0]!.lr, 0.01);
});

test('flush emits the partial window once; begin() drops the pause from images/s; heads are image-weighted', () => {
  const clock = fakeClock();
  const sink = collector();
  const s = new StepScalars(sink, { everySteps: 100, everySeconds: 0, now: clock.now });
  clock.ms = 500_000; // a long clustering phase before training
  s.begin();
  clock.ms += 2000;
  s.record({ epoch: 3, step: 7, loss: 2, lr: 0.05, images: 30, headLosses: [1, 3], epochFraction: 0.5 });
  clock.ms += 2000;
  s.record({ epoch: 3, step: 8, loss: 4, lr: 0.05, images: 10, headLosses: [2, 5], epochFraction: 1 });
  assert.equal(sink.out.length, 0);
  const e = s.flush()!;
  assert.equal(s.flush(), undefined);
  assert.equal(sink.out.length, 1);
  assert.equal(e.step, 8);
  assert.equal(e.epoch, 3);
  assert.equal(e.loss, (2 * 30 + 4 * 10) / 40);
  assert.deepEqual(e.headLosses, [(1 * 30 + 2 * 10) / 40, (3 * 30 + 5 * 10) / 40]);
  assert.equal(e.imagesPerSecond, 10); // 40 images in 4 s, not in 504 s
  assert.equal(e.epochFraction, 1);
  assert.equal(e.steps, 2);
  // Non-finite losses are not averaged in.
  s.record({ epoch: 3, step: 9, loss: NaN, lr: 0.05, images: 10 });
  assert.equal(s.flush(), undefined);
  assert.throws(() => new StepScalars(sink, { everySteps: 0, everySeconds: 1 }), /everySteps must be >= 1/);
});

test('events.jsonl of a 200-epoch run on 1.2 M images (batch 256) stays a few MB', async () => {
  // The whole schedule through a real EventLog with a fake clock at 0.25 s a step (a fast GPU: the step bound
  // rules; slower steps only make the time bound rarer).
  const images = 1_200_000;
  const batch = 256;
  const epochs = 200;
  const perEpoch = Math.ceil(images / batch);
  const total = epochs * perEpoch;
  assert.equal(everyStepsFor(total), 47);
  const dir = await tempDir();
  const log = EventLog.open(dir, { tensorboard: false });
  const clock = fakeClock();
  const s = new StepScalars(log, { ...defaultStepOptions(total), now: clock.now });
  for (let epoch = 0; epoch < epochs; epoch++) {
    s.begin();
    for (let b = 0; b < perEpoch; b++) {
      clock.ms += 250;
      const r = {
        epoch,
        step: epoch * perEpoch + b + 1,
        loss: 9.21034 - epoch * 0.01 - b * 1e-6,
        lr: 0.05,
        images: Math.min(batch, images - b * batch),
        epochFraction: Math.min(1, ((b + 1) * batch) / images),
      };
      s.record(r);
    }
    s.flush();
  }
  log.close();
  const bytes = fs.statSync(path.join(dir, 'events.jsonl')).size;
  const { events } = await readEvents(dir);
  const steps = events.filter((e) => e.type === 'step');
  console.log(
    `200 epochs x 1.2 M images, batch 256: ${total} steps -> ${steps.length} step events, ${(bytes / 1e6).toFixed(2)} MB (${(bytes / steps.length).toFixed(0)} B each)`,
  );
  assert.ok(steps.length <= 20_000 + epochs, `${steps.length} step events`);
  assert.ok(steps.length >= 19_000, `${steps.length} step events`);
  assert.ok(bytes < 5e6, `${bytes} bytes`);
});
