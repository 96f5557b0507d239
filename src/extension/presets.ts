// Training presets and the CLI arguments they become (`deepcluster train` flags, see src/trainer/cli/args.ts).
import type { ArchName, BackendRequest, RecipeName } from '../protocol';

export interface TrainChoices {
  data?: string;
  out: string;
  recipe: RecipeName;
  /** Undefined: the recipe's own (resnet for v2, smallvgg for paper). */
  arch?: ArchName;
  /** Undefined: picked by the trainer from the dataset's size. */
  k?: number;
  /** Undefined: picked by the trainer from the dataset's size (v2) or the recipe's default. */
  epochs?: number;
  /** Undefined: picked by the trainer from the dataset's size. */
  batchSize?: number;
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
    detail: 'DeepCluster-v2, 3 epochs on the first 3 000 images: minutes, enough to see clusters form and improve',
    apply: (b) => ({ ...b, recipe: 'v2', epochs: 3, limit: 3000 }),
  },
  {
    id: 'standard',
    label: 'Standard',
    detail: 'your settings (deepcluster.*; DeepCluster-v2 unless changed) on every image',
    apply: (b) => ({ ...b }),
  },
  {
    id: 'paper',
    label: 'Paper-faithful (2018)',
    detail:
      'the 2018 method as the official code: Sobel input, PCA-whitened k-means, a fresh top layer each epoch; learns little on small data',
    apply: (b) => ({
      ...b,
      recipe: 'paper',
      arch: b.arch === 'alexnet' || b.arch === 'vgg16' ? b.arch : 'smallvgg',
      sobel: true,
      pca: b.arch === 'alexnet' || b.arch === 'vgg16' ? 256 : 64,
      k: Math.max(b.k ?? 100, 100),
      epochs: Math.max(b.epochs ?? 15, 15),
    }),
  },
];

/** `deepcluster train` arguments (no --json: the run manager adds it). */
export function trainArgs(c: TrainChoices): string[] {
  const args = ['train'];
  if (c.data) args.push('--data', c.data);
  args.push('--out', c.out, '--recipe', c.recipe, '--backend', c.backend);
  if (c.epochs !== undefined) args.push('--epochs', String(c.epochs));
  if (c.arch !== undefined) args.push('--arch', c.arch);
  if (c.k !== undefined) args.push('--k', String(c.k));
  if (c.batchSize !== undefined) args.push('--batch-size', String(c.batchSize));
  if (c.limit !== undefined) args.push('--limit', String(c.limit));
  if (c.pca !== undefined) args.push('--pca', String(c.pca));
  if (c.sobel !== undefined) args.push(c.sobel ? '--sobel' : '--no-sobel');
  if (c.cacheDir) args.push('--cache', c.cacheDir);
  return args;
}

/** A fresh run folder name: the data's folder name plus a sortable timestamp. */
export function runName(data: string | undefined, now = new Date()): string {
  const base = (data ? (data.split(/[\\/]/).filter(Boolean).pop() ?? 'data') : 'sample')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 40);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${base}-${stamp}`;
}
