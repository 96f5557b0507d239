// The curves panel's host side without vscode: the series of each run from events.jsonl, and the answers to
// the webview's requests. The panel (curvesPanel.ts) adds live updates, pickers and save dialogs.
import { basename } from 'node:path';
import type { TrainerEvent } from '../../protocol/events';
import type {
  CurrentEpoch,
  CurvesInit,
  CurvesRequest,
  CurvesResponses,
  CurvesUiState,
  RunSeries,
  StepColumns,
} from '../../protocol/webview';
import { epochMetrics, readEvents } from '../../runfolder/events';
import { readRun } from '../../runfolder/runs';

export interface CurvesDeps {
  /** Asks for another run folder to overlay (undefined: cancelled). */
  pickRun(): Promise<string | undefined>;
  save(defaultName: string, content: string | Buffer): Promise<string | undefined>;
  isLive(runDir: string): boolean;
}

export function runSeries(runDir: string, live: boolean): RunSeries {
  const run = readRun(runDir);
  return { runId: run.id || basename(runDir), runDir, live, ...seriesFromEvents(readEvents(runDir).events) };
}

/** The curves of one events.jsonl: epoch metrics with where they were measured, and the step columns. */
export function seriesFromEvents(
  events: TrainerEvent[],
): Pick<RunSeries, 'metrics' | 'epochAt' | 'steps' | 'startTime' | 'epochs' | 'current' | 'quality' | 'initialNmi'> {
  const metrics = epochMetrics(events);
  const at = new Map<number, { step: number | null; time: number }>();
  const steps: StepColumns = {
    step: [],
    epoch: [],
    time: [],
    loss: [],
    lr: [],
    imagesPerSecond: [],
    epochFraction: [],
  };
  const columns = Object.values(steps) as unknown[][];
  let epochs: number | undefined;
  let current: CurrentEpoch | undefined;
  let quality: RunSeries['quality'];
  let initialNmi: number | undefined;
  for (const e of events) {
    if (e.type === 'evaluation' && e.quality) quality = e.quality;
    if (e.type === 'initialClustering') initialNmi = e.metrics.nmiLabels;
    if (e.type === 'start') {
      epochs = e.epochs;
      current = undefined;
    }
    if (e.type === 'done' || e.type === 'stopped' || e.type === 'error') current = undefined;
    if (e.type === 'phase') {
      if (current?.epoch !== e.epoch) current = { epoch: e.epoch, phases: [] };
      if (current.phases.at(-1)?.phase !== e.phase)
        current.phases.push({ phase: e.phase, start: Date.parse(e.t) / 1000 });
      current.done = e.done;
      current.total = e.total;
    }
    if (e.type === 'epoch' && current?.epoch === e.metrics.epoch) current = undefined;
    if (e.type === 'epoch') at.set(e.metrics.epoch, { step: e.step ?? null, time: Date.parse(e.t) / 1000 });
    if (e.type !== 'step') continue;
    // A resumed run redoes the steps of its interrupted epoch: the later ones replace the earlier (as TensorBoard).
    while (steps.step.length && steps.step[steps.step.length - 1]! >= e.step) for (const c of columns) c.pop();
    steps.step.push(e.step);
    steps.epoch.push(e.epoch);
    steps.time.push(Date.parse(e.t) / 1000);
    steps.loss.push(e.loss);
    steps.lr.push(e.lr);
    steps.imagesPerSecond.push(e.imagesPerSecond);
    steps.epochFraction.push(e.epochFraction ?? null);
  }
  const first = events.find((e) => Number.isFinite(Date.parse(e.t)));
  return {
    metrics,
    epochAt: {
      step: metrics.map((m) => at.get(m.epoch)?.step ?? null),
      time: metrics.map((m) => at.get(m.epoch)?.time ?? null),
    },
    ...(steps.step.length ? { steps } : {}),
    ...(first ? { startTime: Date.parse(first.t) / 1000 } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(current ? { current } : {}),
    ...(quality ? { quality } : {}),
    ...(initialNmi !== undefined ? { initialNmi } : {}),
  };
}

export class CurvesModel {
  readonly runDirs: string[] = [];

  constructor(
    private readonly deps: CurvesDeps,
    runDirs: string[],
  ) {
    for (const d of runDirs) if (!this.runDirs.includes(d)) this.runDirs.push(d);
  }

  series(): RunSeries[] {
    return this.runDirs.map((d) => runSeries(d, this.deps.isLive(d)));
  }

  init(ui?: Partial<CurvesUiState>): CurvesInit {
    return { panel: 'curves', runs: this.series(), ui };
  }

  async handle<R extends CurvesRequest>(req: R): Promise<CurvesResponses[R['type']]> {
    return (await this.answer(req)) as CurvesResponses[R['type']];
  }

  private async answer(req: CurvesRequest): Promise<CurvesResponses[CurvesRequest['type']]> {
    switch (req.type) {
      case 'addRun': {
        const dir = await this.deps.pickRun();
        if (!dir) return {};
        if (!this.runDirs.includes(dir)) this.runDirs.push(dir);
        return { run: runSeries(dir, this.deps.isLive(dir)) };
      }
      case 'removeRun': {
        const i = this.series().findIndex((s) => s.runId === req.runId);
        if (i >= 0) this.runDirs.splice(i, 1);
        return { removed: i >= 0 };
      }
      case 'exportCsv':
        return { written: await this.deps.save('training-curves.csv', req.csv) };
      case 'exportPng':
        return {
          written: await this.deps.save(
            'training-curves.png',
            Buffer.from(req.png.slice('data:image/png;base64,'.length), 'base64'),
          ),
        };
    }
  }
}
