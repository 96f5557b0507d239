// `deepcluster train` arguments: flags map onto TrainConfig keys; what is not given follows the recipe's defaults
// (and later the dataset's size). Every bad value is a one-line UsageError naming the flag.
import * as path from 'node:path';
import {
  ARCHS,
  BACKENDS,
  CLUSTERINGS,
  RECIPES,
  SAMPLERS,
  type ArchName,
  type RecipeName,
  type TrainConfig,
} from '../../protocol/config';
import { FEATURE_DIM, defaultsForRecipe } from '../train/defaults';
import { UsageError } from '../usageError';
import {
  defaultOutDir,
  helpIfAsked,
  noPositionals,
  positiveInt,
  readFlags,
  type FlagSpec,
  type ParseContext,
  type ParsedHelp,
} from './flags';

export interface ParsedTrain {
  command: 'train';
  config: TrainConfig;
  /** Mirror events as JSON lines on stdout (and nothing else there). */
  json: boolean;
  /** The config keys set on the command line (e.g. the loop keeps an explicit inputSize instead of the data's). */
  explicit: ReadonlySet<keyof TrainConfig>;
}

/** Flags of `train`, mapped to TrainConfig keys. */
const TRAIN_FLAGS: Record<string, FlagSpec> = {
  recipe: { kind: 'enum', key: 'recipe', values: RECIPES },
  data: { kind: 'path', key: 'data' },
  out: { kind: 'path', key: 'out' },
  arch: { kind: 'enum', key: 'arch', values: ARCHS },
  k: { kind: 'posint', key: 'k' },
  pca: { kind: 'posint', key: 'pca' },
  epochs: { kind: 'posint', key: 'epochs' },
  'batch-size': { kind: 'posint', key: 'batchSize' },
  backend: { kind: 'enum', key: 'backend', values: BACKENDS },
  seed: { kind: 'seed', key: 'seed' },
  limit: { kind: 'posint', key: 'limit' },
  sobel: { kind: 'bool', key: 'sobel' },
  'no-sobel': { kind: 'bool', key: 'sobel' },
  clustering: { kind: 'enum', key: 'clustering', values: CLUSTERINGS },
  sampler: { kind: 'enum', key: 'sampler', values: SAMPLERS },
  lr: { kind: 'float', key: 'lr' },
  'input-size': { kind: 'posint', key: 'inputSize' },
  'micro-batch': { kind: 'posint', key: 'microBatch' },
  cache: { kind: 'path', key: 'cacheDir' },
  'keep-checkpoints': { kind: 'posint', key: 'keepCheckpoints' },
  init: { kind: 'path', key: 'init' },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
};

export function parseTrain(rest: string[], ctx: ParseContext): ParsedTrain | ParsedHelp {
  const { values, positionals } = readFlags('train', rest, TRAIN_FLAGS);
  const help = helpIfAsked('train', values);
  if (help) return help;
  noPositionals('train', positionals);
  return buildTrain(values, ctx.cwd, ctx.now);
}

function buildTrain(values: Map<string, string>, cwd: string, now: Date): ParsedTrain {
  const recipe = (values.get('recipe') as RecipeName | undefined) ?? 'v2';
  const config: TrainConfig = { ...defaultsForRecipe(recipe, values.get('arch') as ArchName | undefined), out: '' };
  const arch = config.arch;
  const explicit = new Set<keyof TrainConfig>();
  const set = <K extends keyof TrainConfig>(key: K, value: TrainConfig[K]) => {
    config[key] = value;
    explicit.add(key);
  };
  for (const [flag, value] of values) {
    const spec = TRAIN_FLAGS[flag]!;
    const key = spec.key;
    if (!key) continue;
    switch (spec.kind) {
      case 'posint':
        set(key, positiveInt(flag, value) as never);
        break;
      case 'seed': {
        const n = /^\+?\d+$/.test(value) ? Number(value) : NaN;
        if (!Number.isSafeInteger(n) || n > 0xffffffff) {
          throw new UsageError(`--seed must be an integer from 0 to 4294967295, got '${value}'`);
        }
        set('seed', n);
        break;
      }
      case 'float': {
        const n = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) ? Number(value) : NaN;
        if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a positive number, got '${value}'`);
        set(key, n as never);
        break;
      }
      case 'path':
        set(key, path.resolve(cwd, value) as never);
        break;
      case 'enum':
        set(key, value as never);
        break;
      case 'bool':
        // --sobel / --no-sobel: values are in order of last occurrence, so the later flag wins.
        set('sobel', flag === 'sobel');
        break;
    }
  }
  if (!config.out) config.out = defaultOutDir(arch, now, cwd);

  if (config.k < 2) throw new UsageError(`--k must be at least 2, got ${config.k}`);
  const featureDim = FEATURE_DIM[arch];
  if (config.pca > featureDim) {
    throw new UsageError(`--pca ${config.pca} is larger than the feature size of ${arch} (${featureDim})`);
  }
  if (config.microBatch !== undefined && config.microBatch > config.batchSize) {
    throw new UsageError(`--micro-batch ${config.microBatch} is larger than --batch-size ${config.batchSize}`);
  }
  return { command: 'train', config, json: values.has('json'), explicit };
}
