// Training presets and the CLI arguments they become (`deepcluster train` flags, see src/trainer/cli/args.ts).
import type { ArchName, BackendRequest } from '../protocol';

export interface TrainChoices {
  data?: string;
  out: string;
  arch: ArchName;
  k: number;
  epochs: number;
  batchSize: number;
  backend: BackendRequest;
  limit?: number;
  pca?: number;
  sobel?: boolean;
  cacheDir?: string;
}

export interface Preset {
  id: 'quick' | 'standard' | 'paper';
  label: string;
  detail: string;
  apply(base: TrainChoices): TrainChoices;
}

export const PRESETS: Preset[] = [
  {
    id: 'quick',
    label: 'Quick look',
    detail: '3 epochs on the first 3 000 images: minutes, enough to see clusters form',
    apply: (b) => ({ ...b, epochs: 3, limit: 3000 }),
  },
  { id: 'standard', label: 'Standard', detail: 'your settings (deepcluster.*) on every image', apply: (b) => ({ ...b }) },
  {
    id: 'paper',
    label: 'Paper-like',
    detail: 'the paper\'s recipe: Sobel input, PCA 256, batch 256, 10x over-clustering; long on a CPU',
    apply: (b) => ({ ...b, sobel: true, pca: 256, batchSize: 256, k: Math.max(b.k, 100), epochs: Math.max(b.epochs, 100) }),
  },
];

/** `deepcluster train` arguments (no --json: the run manager adds it). */
export function trainArgs(c: TrainChoices): string[] {
  const args = ['train'];
  if (c.data) args.push('--data', c.data);
  args.push('--out', c.out, '--arch', c.arch, '--k', String(c.k), '--epochs', String(c.epochs), '--batch-size', String(c.batchSize), '--backend', c.backend);
  if (c.limit !== undefined) args.push('--limit', String(c.limit));
  if (c.pca !== undefined) args.push('--pca', String(c.pca));
  if (c.sobel !== undefined) args.push(c.sobel ? '--sobel' : '--no-sobel');
  if (c.cacheDir) args.push('--cache', c.cacheDir);
  return args;
}

/** A fresh run folder name: the data's folder name plus a sortable timestamp. */
export function runName(data: string | undefined, now = new Date()): string {
  const base = (data ? data.split(/[\\/]/).filter(Boolean).pop() ?? 'data' : 'sample').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${base}-${stamp}`;
}
