// An embedding map file for a fixture run (test/webview/fixture.ts): points in blobs, one per label, with the
// run's cluster assignments of the last epoch, written where `deepcluster map` writes it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EmbeddingMapFile } from '../../src/protocol/embeddingMap';
import { checkpointDirName } from '../../src/runfolder/layout';
import { embeddingMapPath } from '../../src/runfolder/embeddingMap';
import { FASHION } from './fixture';

export function writeFixtureMap(runDir: string, epoch: number, images: number, seed = 5): EmbeddingMapFile {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const buf = readFileSync(join(runDir, 'checkpoints', checkpointDirName(epoch), 'assignments.i32'));
  const clusters = Array.from(new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)).slice(0, images);
  const labels = Array.from({ length: images }, (_, i) => i % 10);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < images; i++) {
    const a = (labels[i]! / 10) * 2 * Math.PI;
    const r = Math.sqrt(rnd()) * 0.12;
    const t = rnd() * 2 * Math.PI;
    x.push(Math.round((0.7 * Math.cos(a) + r * Math.cos(t)) * 1e4) / 1e4);
    y.push(Math.round((0.7 * Math.sin(a) + r * Math.sin(t)) * 1e4) / 1e4);
  }
  const m: EmbeddingMapFile = {
    version: 1,
    checkpoint: checkpointDirName(epoch),
    epoch,
    method: 'umap',
    images,
    created: new Date().toISOString(),
    params: { method: 'umap', pcaDim: 32, nNeighbors: 15, epochs: 200, minDist: 0.1, seed: 0, featureDim: 512 },
    seconds: { features: 1, pca: 1, knn: 1, layout: 1 },
    x,
    y,
    clusters,
    labels,
    classNames: FASHION,
  };
  const file = embeddingMapPath(runDir, epoch, 'umap');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(m));
  return m;
}
