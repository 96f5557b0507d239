import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { EventLog, parseEvents, readEvents } from '../../../src/runfolder/events';
import { fakeMetrics, tempDir } from '../run/fixture';

test('EventLog appends JSON lines, stamps t, and mirrors the same lines', async () => {
  const dir = await tempDir();
  const mirror = new PassThrough();
  let mirrored = '';
  mirror.on('data', (c) => (mirrored += c));
  const log = EventLog.open(dir, { mirror });
  log.emit({ type: 'phase', epoch: 0, phase: 'features', done: 3, total: 10 });
  log.emit({ type: 'epoch', metrics: fakeMetrics(0) });
  log.emit({ type: 'warning', t: '2025-01-01T00:00:00.000Z', message: 'odd file', file: '/x.png' });
  log.close();
  const text = await fs.readFile(path.join(dir, 'events.jsonl'), 'utf8');
  assert.equal(text, mirrored);
  assert.equal(text.split('\n').length, 4);
  assert.match(text.split('\n')[0]!, /^\{"type":"phase","t":"\d{4}-/);
  const { events, torn, badLines } = await readEvents(dir);
  assert.equal(events.length, 3);
  assert.equal(torn, false);
  assert.deepEqual(badLines, []);
  assert.equal(events[2]!.t, '2025-01-01T00:00:00.000Z');
  assert.equal(events[1]!.type === 'epoch' && events[1]!.metrics.loss, 2);
});

test('a torn last line is skipped and reported, and the next writer cuts it off', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'events.jsonl');
  const log = EventLog.open(dir);
  log.emit({ type: 'epoch', metrics: fakeMetrics(0) });
  log.emit({ type: 'epoch', metrics: fakeMetrics(1) });
  log.close();
  const torn = '{"type":"epoch","t":"2025-01-01T00:00:00Z","metrics":{"epo';
  await fs.appendFile(file, torn);

  const read = await readEvents(file);
  assert.equal(read.events.length, 2);
  assert.equal(read.torn, true);
  assert.deepEqual(read.badLines, []);

  const again = EventLog.open(dir);
  assert.equal(again.repairedBytes, Buffer.byteLength(torn));
  again.emit({ type: 'done', epochs: 2, runDir: dir });
  again.close();
  const after = await readEvents(dir);
  assert.deepEqual(
    after.events.map((e) => e.type),
    ['epoch', 'epoch', 'done'],
  );
  assert.equal(after.torn, false);
});

test('parseEvents skips bad middle lines by number and accepts a final line without newline', () => {
  const r = parseEvents(
    '{"type":"error","t":"x","message":"m"}\nnot json\n\n{"no":"type"}\n{"type":"done","t":"y","epochs":1,"runDir":"/r"}',
  );
  assert.deepEqual(
    r.events.map((e) => e.type),
    ['error', 'done'],
  );
  assert.deepEqual(r.badLines, [2, 4]);
  assert.equal(r.torn, false);
});

test('a missing events file reads as empty', async () => {
  const dir = await tempDir();
  assert.deepEqual(await readEvents(dir), { events: [], torn: false, badLines: [] });
});
