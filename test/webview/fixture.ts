// A run folder in the trainer's format, made up but coherent: images with labels, k clusters per epoch that get
// purer over the epochs, exemplars with distances, label histograms, epoch metrics, thumbnails as PNG files.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { EpochMetrics } from '../../src/protocol/events';
import type { CheckpointFileEntry, CheckpointManifest, CheckpointRole, RunManifest } from '../../src/protocol/run';
import { CHECKPOINT_FILES, checkpointDirName } from '../../src/runfolder/layout';

export const FASHION = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export interface FixtureOptions {
  id?: string;
  images: number;
  k: number;
  epochs: number;
  /** Thumbnail files to write (0: none). */
  thumbs: number;
  /** Exemplars per cluster written with distances. */
  exemplars?: number;
  seed?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export function metricsFor(epoch: number, k: number, images: number, jitter = 0): EpochMetrics {
  const e = epoch + 1;
  return {
    epoch,
    loss: 2.2 / Math.sqrt(e) + 0.05 * Math.sin(3 * e) + jitter,
    clusteringObjective: 900 / e + 40,
    ...(epoch > 0 ? { nmiPrev: 0.5 + 0.4 * (1 - Math.exp(-epoch / 2)) } : {}),
    nmiLabels: 0.3 + 0.25 * (1 - Math.exp(-epoch / 3)),
    nmiLabelsArithmetic: 0.29 + 0.25 * (1 - Math.exp(-epoch / 3)),
    ari: 0.15 + 0.2 * (1 - Math.exp(-epoch / 3)),
    accuracy: 0.35 + 0.2 * (1 - Math.exp(-epoch / 3)),
    purity: 0.6 + 0.1 * (1 - Math.exp(-epoch / 3)),
    clusters: {
      k,
      empty: epoch === 0 ? 2 : 0,
      largest: Math.round((images / k) * (2 + 1 / e)),
      smallest: epoch === 0 ? 0 : 3,
    },
    seconds: { features: 30 + epoch, clustering: 4, training: 150 - epoch, checkpoint: 1.5, epoch: 186 },
  };
}

export async function writeFixtureRun(dir: string, o: FixtureOptions): Promise<string> {
  const rand = rng(o.seed ?? 7);
  const id = o.id ?? 'fixture-run';
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  const labels = Int32Array.from({ length: o.images }, () => Math.floor(rand() * 10));
  const manifest = {
    version: 1,
    id,
    created: '2026-11-01T10:00:00Z',
    updated: '2026-11-01T11:00:00Z',
    status: 'finished',
    config: {
      out: dir,
      arch: 'smallvgg',
      k: o.k,
      pca: 64,
      epochs: o.epochs,
      batchSize: 64,
      backend: 'wasm',
      seed: 1,
      sobel: true,
      clustering: 'kmeans',
      sampler: 'uniform',
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 1e-5,
      inputSize: 28,
    },
    dataset: {
      path: join(dir, 'dataset'),
      kind: 'idx',
      images: o.images,
      fingerprint: 'f',
      labelled: true,
      classNames: FASHION,
      channels: 1,
      skipped: 0,
    },
    epochsDone: o.epochs,
    versions: {},
  } as unknown as RunManifest;
  writeFileSync(join(dir, 'run.json'), JSON.stringify(manifest));
  const events: string[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    // Cluster of image i: mostly decided by its label (purer with the epochs), else random.
    const purity = 0.4 + 0.5 * (epoch / Math.max(1, o.epochs - 1));
    const assign = Int32Array.from(labels, (l) =>
      rand() < purity ? (l * 7 + Math.floor(rand() * Math.max(1, o.k / 10))) % o.k : Math.floor(rand() * o.k),
    );
    const members: number[][] = Array.from({ length: o.k }, () => []);
    assign.forEach((c, i) => members[c]!.push(i));
    const exemplars = {
      clusters: members.map((m) => {
        const picked = m.slice(0, o.exemplars ?? 16);
        const d = picked.map(() => rand()).sort((a, b) => a - b);
        return { indices: picked, distances: d.map((x) => Math.round((0.2 + x) * 1000) / 1000) };
      }),
    };
    const counts = members.map((m) => {
      const row = new Array(10).fill(0);
      for (const i of m) row[labels[i]!]++;
      return row;
    });
    const ck = join(dir, 'checkpoints', checkpointDirName(epoch));
    mkdirSync(ck, { recursive: true });
    writeFileSync(join(ck, 'assignments.i32'), Buffer.from(assign.buffer));
    writeFileSync(join(ck, 'exemplars.json'), JSON.stringify(exemplars));
    writeFileSync(join(ck, 'label-histograms.json'), JSON.stringify({ classNames: FASHION, counts }));
    const metrics = metricsFor(epoch, o.k, o.images);
    writeFileSync(join(ck, 'metrics.json'), JSON.stringify(metrics));
    writeFileSync(
      join(ck, 'model.json'),
      JSON.stringify({
        modelTopology: { arch: 'smallvgg', options: {} },
        weightsManifest: [
          {
            paths: ['weights.bin'],
            weights: [
              { name: 'sobel.weight', shape: [3, 3, 1, 2] },
              { name: 'conv1.weight', shape: [3, 3, 2, 32] },
              { name: 'conv1.bias', shape: [32] },
              { name: 'conv2.weight', shape: [3, 3, 32, 64] },
              { name: 'conv2.bias', shape: [64] },
              { name: 'conv3.weight', shape: [3, 3, 64, 128] },
              { name: 'conv3.bias', shape: [128] },
              { name: 'top_layer.weight', shape: [256, o.k] },
              { name: 'top_layer.bias', shape: [o.k] },
            ],
          },
        ],
      }),
    );
    const cm: CheckpointManifest = {
      version: 1,
      epoch,
      created: '2026-11-01T10:00:00Z',
      arch: 'smallvgg',
      k: o.k,
      images: o.images,
      files: listedFiles(ck),
    };
    writeFileSync(join(ck, 'checkpoint.json'), JSON.stringify(cm));
    events.push(JSON.stringify({ type: 'epoch', t: `2026-11-01T10:${String(epoch).padStart(2, '0')}:00Z`, metrics }));
  }
  writeFileSync(join(dir, 'events.jsonl'), events.join('\n') + '\n');
  writeFileSync(join(dir, 'latest'), checkpointDirName(o.epochs - 1));
  if (o.thumbs > 0) {
    mkdirSync(join(dir, 'thumbs', 's64'), { recursive: true });
    for (let i = 0; i < o.thumbs; i++)
      await writeFileSync(join(dir, 'thumbs', 's64', `${i}.png`), await syntheticImage(labels[i % o.images]!, i));
  }
  return dir;
}

/** A 28x28 grey image whose pattern depends on the label (stripes, rings, blocks), so clusters look distinct. */
export async function syntheticImage(label: number, seed: number): Promise<Buffer> {
  const px = Buffer.alloc(28 * 28);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const dx = x - 14,
        dy = y - 14;
      const r = Math.sqrt(dx * dx + dy * dy);
      const v =
        label % 3 === 0
          ? Math.sin((x + (seed % 5)) * (0.3 + label * 0.1))
          : label % 3 === 1
            ? Math.cos(r * (0.4 + label * 0.08))
            : ((x >> 2) + (y >> 2) + label) % 2
              ? 1
              : -1;
      px[y * 28 + x] = r > 13 ? 0 : Math.round(128 + 110 * v);
    }
  return sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer();
}

/** checkpoint.json's list of the files a checkpoint folder holds, with their sizes (what makes it complete). */
export function listedFiles(checkpointDir: string): CheckpointFileEntry[] {
  const roleOf = new Map(Object.entries(CHECKPOINT_FILES).map(([role, file]) => [file, role as CheckpointRole]));
  return readdirSync(checkpointDir)
    .filter((f) => roleOf.has(f))
    .map((file) => ({
      role: roleOf.get(file)!,
      file,
      bytes: statSync(join(checkpointDir, file)).size,
      ...(file.endsWith('.i32') ? { dtype: 'int32' as const } : {}),
    }));
}
