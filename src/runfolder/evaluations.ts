// <run>/evaluations/<checkpoint>.json: the quality report of one checkpoint (`deepcluster eval`, end of training).
import * as fs from 'node:fs';
import type { QualityReport } from '../protocol/events';
import { writeFileAtomic } from './atomic';
import { evaluationFile } from './layout';
import { readJsonIfAny } from './json';
import * as path from 'node:path';

export async function writeEvaluation(runDir: string, checkpointName: string, report: QualityReport): Promise<string> {
  const file = evaluationFile(runDir, checkpointName);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(report, null, 1) + '\n');
  return file;
}

export function readEvaluation(runDir: string, checkpointName: string): QualityReport | undefined {
  return readJsonIfAny<QualityReport>(evaluationFile(runDir, checkpointName));
}
