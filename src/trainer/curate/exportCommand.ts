// `deepcluster export RUN [--epoch N] --out PATH [--format imagefolder|csv] [--mode symlink|copy]`: the run's
// curated clusters (curation.json: names, merges, junk, moves) as a labelled ImageFolder, whose class folders
// `train --data` reads as labels, or as CSV. Images inside IDX/CIFAR files are decoded and written as PNG.
import { writeFileSync } from 'node:fs';
import type { ExportFormat, ExportMode } from '../../protocol/curation';
import { curatedCsv, curatedRows, isContainerName, writeImageFolder } from '../../runfolder/curatedExport';
import { encodePng } from '../analyze/png';
import type { AnalysisIO } from '../analyze/visualizeCommand';
import { throttled } from '../analyze/visualizeCommand';
import { openDataset, type Dataset } from '../data';
import { readRunManifest } from '../../runfolder/manifest';

export interface ExportRequest {
  run: string;
  out: string;
  epoch?: number;
  format: ExportFormat;
  mode: ExportMode;
}

export async function exportCurated(
  req: ExportRequest,
  io: AnalysisIO,
): Promise<{ out: string; images: number; classes: number; junk: number; epoch: number }> {
  const started = performance.now();
  const { epoch, rows, junk } = curatedRows(req.run, req.epoch);
  const classes = new Set(rows.map((r) => r.name)).size;
  if (req.format === 'csv') {
    writeFileSync(req.out, curatedCsv(rows));
  } else {
    let dataset: Dataset | undefined;
    try {
      const png = async (indices: number[]) => {
        if (!dataset) {
          const m = await readRunManifest(req.run);
          dataset = await openDataset({
            path: m.config.data,
            inputSize: m.config.inputSize,
            limit: m.config.limit,
            cacheDir: m.config.cacheDir,
          });
        }
        const s = dataset.inputSize;
        const c = dataset.channels;
        const pixels = await dataset.readBatch(indices);
        const out = new Map<number, Buffer>();
        for (let k = 0; k < indices.length; k++)
          out.set(indices[k]!, await encodePng(pixels.subarray(k * s * s * c, (k + 1) * s * s * c), s, s, c));
        return out;
      };
      const progress = throttled((done, total) => io.emit({ type: 'progress', phase: 'export', done, total }));
      await writeImageFolder(rows, req.out, req.mode, png, progress);
      if (rows.some((r) => isContainerName(r.path)) && req.mode === 'symlink')
        io.log('images inside IDX/CIFAR files were written as PNG files (there is no file to link to)');
    } finally {
      await dataset?.close();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  io.log(`exported ${rows.length} images in ${classes} classes (epoch ${epoch}; ${junk} junk left out) to ${req.out}`);
  io.emit({ type: 'result', command: 'export', out: req.out, images: rows.length, classes, seconds });
  return { out: req.out, images: rows.length, classes, junk, epoch };
}
