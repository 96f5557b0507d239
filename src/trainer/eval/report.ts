// The quality report of a trained network: pixels, the untrained network and the trained one, side by side
// (qualityReport.ts has the protocol). Used at the end of training on labelled data and by `deepcluster eval`.
import type { QualityReport } from '../../protocol/events';
import { createModel, type ConvNet } from '../model';
import { networkFeatures, pixelFeatures, type EvalData, type FeatureSet } from './featureSets';
import { evaluateFeatureSet, type LabelledSplit } from './qualityReport';

export interface ReportInput {
  trained: ConvNet;
  data: EvalData;
  split: LabelledSplit;
  splitName: string;
  /** Leave out the pixel baseline (e.g. 224 px RGB: 150 528 dimensions). */
  pixels?: boolean;
  onStep?: (what: string) => void;
}

export async function qualityReport(input: ReportInput): Promise<QualityReport> {
  const { trained, data, split } = input;
  const sets: (() => Promise<FeatureSet>)[] = [];
  if (input.pixels !== false) sets.push(async () => ({ name: 'pixels', ...(await pixelFeatures(data)) }));
  sets.push(async () => {
    // Same architecture, options and seed: the network this run started from.
    const untrained = createModel({ ...trained.options });
    try {
      return { name: 'untrained', ...(await networkFeatures(untrained, data)) };
    } finally {
      untrained.dispose();
    }
  });
  sets.push(async () => ({ name: 'trained', ...(await networkFeatures(trained, data)) }));
  const rows = [];
  for (const make of sets) {
    const f = await make();
    rows.push(await evaluateFeatureSet(f, split, { onStep: input.onStep }));
  }
  return {
    classes: Math.max(...split.labels) + 1,
    trainImages: split.train.length,
    heldOut: split.test.length,
    split: input.splitName,
    rows,
  };
}

export { formatQualityReport } from './formatQuality';
