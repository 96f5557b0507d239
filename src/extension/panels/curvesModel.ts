// The curves panel's host side without vscode: the series of each run from events.jsonl, and the answers to
// the webview's requests. The panel (curvesPanel.ts) adds live updates, pickers and save dialogs.
import { basename } from 'node:path';
import type { CurvesInit, CurvesRequest, CurvesResponses, CurvesUiState, RunSeries } from '../../protocol/webview';
import { epochMetrics, readEvents, readRun } from '../runFiles';

export interface CurvesDeps {
  /** Asks for another run folder to overlay (undefined: cancelled). */
  pickRun(): Promise<string | undefined>;
  save(defaultName: string, content: string | Buffer): Promise<string | undefined>;
  isLive(runDir: string): boolean;
}

export function runSeries(runDir: string, live: boolean): RunSeries {
  const run = readRun(runDir);
  const events = readEvents(runDir);
  let quality: RunSeries['quality'];
  let initialNmi: number | undefined;
  for (const e of events) {
    if (e.type === 'evaluation' && e.quality) quality = e.quality;
    if (e.type === 'initialClustering') initialNmi = e.metrics.nmiLabels;
  }
  return { runId: run.id || basename(runDir), runDir, metrics: epochMetrics(events), live, quality, initialNmi };
}

export class CurvesModel {
  readonly runDirs: string[] = [];

  constructor(private readonly deps: CurvesDeps, runDirs: string[]) {
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
        return { written: await this.deps.save('training-curves.png', Buffer.from(req.png.slice('data:image/png;base64,'.length), 'base64')) };
    }
  }
}
