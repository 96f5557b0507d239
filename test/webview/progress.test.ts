import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainerEvent } from '../../src/protocol/events';
import { seriesFromEvents } from '../../src/extension/panels/curvesModel';
import { describeLive, etaSeconds, timelineRows } from '../../webview/curves/progress';
import { metricsFor } from './fixture';

const t = (s: number) => new Date(Date.UTC(2025, 0, 1) + s * 1000).toISOString();
const at = (s: number) => Date.UTC(2025, 0, 1) / 1000 + s;

function run(events: TrainerEvent[], live = true) {
  return { runId: 'r', runDir: '/r', live, ...seriesFromEvents(events) };
}

test('the epoch in progress comes from the phase events after the last finished epoch; ETA from recent epochs', () => {
  const m0 = {
    ...metricsFor(0, 10, 100),
    seconds: { epoch: 100, features: 20, clustering: 10, training: 65, checkpoint: 5 },
  };
  const m1 = {
    ...metricsFor(1, 10, 100),
    seconds: { epoch: 120, features: 20, clustering: 10, training: 85, checkpoint: 5 },
  };
  const events: TrainerEvent[] = [
    { type: 'start', t: t(0), runDir: '/r', epochs: 10, startEpoch: 0, engine: {} as never, images: 100 },
    { type: 'phase', t: t(0), epoch: 0, phase: 'features' },
    { type: 'epoch', t: t(100), metrics: m0 },
    { type: 'phase', t: t(100), epoch: 1, phase: 'features' },
    { type: 'epoch', t: t(220), metrics: m1 },
    { type: 'phase', t: t(220), epoch: 2, phase: 'features' },
    { type: 'phase', t: t(221), epoch: 2, phase: 'features', done: 50, total: 100 },
    { type: 'phase', t: t(240), epoch: 2, phase: 'clustering' },
    { type: 'phase', t: t(250), epoch: 2, phase: 'training', done: 25, total: 100 },
  ];
  const r = run(events);
  assert.equal(r.epochs, 10);
  assert.deepEqual(r.current, {
    epoch: 2,
    phases: [
      { phase: 'features', start: at(220) },
      { phase: 'clustering', start: at(240) },
      { phase: 'training', start: at(250) },
    ],
    done: 25,
    total: 100,
  });
  // 8 epochs left at 110 s, the current one has run 40 s.
  assert.equal(etaSeconds(r, at(260)), 8 * 110 - 40);
  assert.equal(describeLive(r, at(260)), 'epoch 3/10 · training 25% · ETA 14m');
  assert.equal(etaSeconds({ ...r, live: false }, at(260)), undefined);
  assert.equal(describeLive({ ...r, live: false }, at(260)), '');
  // Timeline: two finished epochs from their metrics, the live one from its phase starts up to now.
  assert.deepEqual(timelineRows(r, at(260)), [
    {
      epoch: 0,
      live: false,
      total: 100,
      segments: [
        { phase: 'features', seconds: 20 },
        { phase: 'clustering', seconds: 10 },
        { phase: 'training', seconds: 65 },
        { phase: 'checkpoint', seconds: 5 },
      ],
    },
    {
      epoch: 1,
      live: false,
      total: 120,
      segments: [
        { phase: 'features', seconds: 20 },
        { phase: 'clustering', seconds: 10 },
        { phase: 'training', seconds: 85 },
        { phase: 'checkpoint', seconds: 5 },
      ],
    },
    {
      epoch: 2,
      live: true,
      total: 40,
      segments: [
        { phase: 'features', seconds: 20 },
        { phase: 'clustering', seconds: 10 },
        { phase: 'training', seconds: 10 },
      ],
    },
  ]);
  assert.deepEqual(
    timelineRows(r, at(260), 2).map((x) => x.epoch),
    [1, 2],
  );
  // No ETA before the first epoch ends; a run that stopped has no epoch in progress.
  assert.equal(etaSeconds(run(events.slice(0, 2)), at(50)), undefined);
  assert.equal(describeLive(run(events.slice(0, 2)), at(50)), 'epoch 1/10 · features');
  const stopped = run([...events, { type: 'stopped', t: t(270), epoch: 2, reason: 'signal' }], false);
  assert.equal(stopped.current, undefined);
  assert.equal(timelineRows(stopped, at(300)).length, 2);
});
