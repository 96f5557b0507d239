import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainerEvent } from '../../../src/protocol';
import { applyEvent, describeProgress, emptyProgress, etaSeconds } from '../../../src/extension/trainerEvents';
import { LineSplitter, parseEventLine as parseTrainerEvent, parseEvents } from '../../../src/runfolder/events';

const t0 = '2026-01-01T00:00:00.000Z';
const at = (s: number) => new Date(Date.parse(t0) + s * 1000).toISOString();
const engine = { backend: 'cpu' as const, device: 'x', provider: 'cpu', software: true, skipped: [] };
const epochEvent = (epoch: number, s: number): TrainerEvent => ({
  type: 'epoch',
  t: at(s),
  metrics: {
    epoch,
    loss: 1,
    nmiPrev: 0.5,
    clusters: { k: 2, empty: 0, largest: 1, smallest: 1 },
    seconds: { epoch: 1 },
  },
});

test('parseTrainerEvent accepts events and rejects plain text, unknown types and torn JSON', () => {
  assert.equal(parseTrainerEvent('{"type":"done","t":"x","epochs":2,"runDir":"/r"}')?.type, 'done');
  assert.equal(parseTrainerEvent('warning: libvulkan not found'), undefined);
  assert.equal(parseTrainerEvent('{"type":"bogus"}'), undefined);
  assert.equal(parseTrainerEvent('{"type":"done","t":'), undefined);
  assert.equal(parseTrainerEvent(''), undefined);
});

test('LineSplitter joins lines split across chunks and keeps the unfinished tail', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"a":'), []);
  assert.deepEqual(s.push('1}\nplain\r\n{"b"'), ['{"a":1}', 'plain']);
  assert.deepEqual(s.push(':2}\n'), ['{"b":2}']);
  assert.deepEqual(s.push('tail'), []);
  assert.deepEqual(s.end(), ['tail']);
  assert.deepEqual(s.end(), []);
});

test('parseEvents skips a torn last line', () => {
  const text = '{"type":"stopped","t":"x","epoch":1,"reason":"r"}\n{"type":"epoch","t":"x","metr';
  const ev = parseEvents(text).events;
  assert.equal(ev.length, 1);
  assert.equal(ev[0]!.type, 'stopped');
});

test('progress folds events into epoch x/y, phase and an ETA from the mean epoch time', () => {
  let p = emptyProgress();
  assert.equal(describeProgress(p), 'starting');
  p = applyEvent(p, { type: 'start', t: at(0), runDir: '/r', epochs: 10, startEpoch: 2, engine, images: 100 });
  p = applyEvent(p, epochEvent(2, 30));
  p = applyEvent(p, epochEvent(3, 60));
  p = applyEvent(p, { type: 'phase', t: at(61), epoch: 4, phase: 'clustering', done: 3, total: 8 });
  // 2 epochs in 60 s -> 30 s each; 10 - 2 - 2 = 6 left -> 180 s
  assert.equal(etaSeconds(p), 180);
  assert.equal(describeProgress(p), 'epoch 5/10 · clustering 3/8 · ETA 3m 00s');
  assert.equal(p.lastNmi, 0.5);
  p = applyEvent(p, { type: 'error', t: at(62), message: 'out of memory' });
  assert.equal(p.finished, 'error');
  assert.equal(p.error, 'out of memory');
});
