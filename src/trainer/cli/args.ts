// Command-line parsing for `deepcluster`. Every bad value becomes a one-line UsageError that names the flag;
// the CLI's main prints it and exits with status 2.
import * as path from 'node:path';
import { parseArgs as nodeParseArgs } from 'node:util';
import {
  ARCHS,
  RECIPES,
  BACKENDS,
  CLUSTERINGS,
  SAMPLERS,
  type ArchName,
  type RecipeName,
  type BackendRequest,
  type TrainConfig,
} from '../../protocol/config';
import type { TypicalBy } from '../../protocol/analysis';
import { parseIndexList } from '../analyze/indexList';
import { FEATURE_DIM, defaultsForRecipe } from './defaults';
import { COMMANDS, helpText, type CommandName } from './help';
import { parseCluster, parseEmbed, type ParsedCluster, type ParsedEmbed } from './pretrainedArgs';
import { parseMap, type ParsedMap } from './mapArgs';
import { parseExport, type ParsedExport } from './exportArgs';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedTrain {
  command: 'train';
  config: TrainConfig;
  /** Mirror events as JSON lines on stdout (and nothing else there). */
  json: boolean;
  /** The config keys set on the command line (e.g. the loop keeps an explicit inputSize instead of the data's). */
  explicit: ReadonlySet<keyof TrainConfig>;
}
export interface ParsedResume {
  command: 'resume';
  run: string;
  json: boolean;
  /** Run on another backend than the one recorded (the schedule stays the same). */
  backend?: BackendRequest;
}
export interface ParsedInspect {
  command: 'inspect';
  path: string;
  json: boolean;
}
export interface ParsedSetupGpu {
  command: 'setup-gpu';
  /** Install tfjs-node (CPU) instead of tfjs-node-gpu. */
  cpu: boolean;
}
export interface ParsedHelp {
  command: 'help';
  topic?: CommandName;
  text: string;
}
export interface ParsedVisualize {
  command: 'visualize';
  checkpoint: string;
  layer: string;
  /** Undefined: every filter of the layer. */
  filters?: number[];
  top: number;
  json: boolean;
  backend?: BackendRequest;
  iterations?: number;
  lr?: number;
}
export interface ParsedThumbs {
  command: 'thumbs';
  checkpoint: string;
  indices?: number[];
  clusters?: number[];
  perCluster: number;
  size: number;
  by: TypicalBy;
  json: boolean;
  backend?: BackendRequest;
}
export interface ParsedEval {
  command: 'eval';
  target: string;
  test?: string;
  testLimit?: number;
  json: boolean;
  backend?: BackendRequest;
}
export type ParsedCommand = ParsedTrain | ParsedResume | ParsedInspect | ParsedSetupGpu | ParsedHelp | ParsedVisualize | ParsedThumbs | ParsedEval | ParsedEmbed | ParsedCluster | ParsedMap | ParsedExport;

export interface ParseOptions {
  /** Base for relative paths (default process.cwd()). */
  cwd?: string;
  /** Clock for the default --out name. */
  now?: Date;
}

type FlagKind = 'posint' | 'seed' | 'float' | 'path' | 'bool' | 'enum' | 'text';
interface FlagSpec {
  kind: FlagKind;
  key?: keyof TrainConfig;
  values?: readonly string[];
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
  json: { kind: 'bool' },
  help: { kind: 'bool' },
};
const RESUME_FLAGS: Record<string, FlagSpec> = {
  json: { kind: 'bool' },
  backend: { kind: 'enum', values: BACKENDS },
  help: { kind: 'bool' },
};
const INSPECT_FLAGS: Record<string, FlagSpec> = { json: { kind: 'bool' }, help: { kind: 'bool' } };
const SETUP_GPU_FLAGS: Record<string, FlagSpec> = { cpu: { kind: 'bool' }, help: { kind: 'bool' } };
const VISUALIZE_FLAGS: Record<string, FlagSpec> = {
  layer: { kind: 'text' },
  filters: { kind: 'text' },
  top: { kind: 'posint' },
  iterations: { kind: 'posint' },
  lr: { kind: 'float' },
  backend: { kind: 'enum', values: BACKENDS },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
};
const EVAL_FLAGS: Record<string, FlagSpec> = {
  test: { kind: 'path' },
  'test-limit': { kind: 'posint' },
  backend: { kind: 'enum', values: BACKENDS },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
};
const THUMBS_FLAGS: Record<string, FlagSpec> = {
  indices: { kind: 'text' },
  clusters: { kind: 'text' },
  'per-cluster': { kind: 'posint' },
  size: { kind: 'posint' },
  by: { kind: 'enum', values: ['centroid', 'activation'] },
  backend: { kind: 'enum', values: BACKENDS },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
};

/** Parse `deepcluster` arguments (without node and the script: process.argv.slice(2)). Throws UsageError. */
export function parseArgs(argv: readonly string[], options: ParseOptions = {}): ParsedCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !isCommand(topic)) throw unknownCommand(topic);
    return { command: 'help', topic, text: helpText(topic) };
  }
  if (!isCommand(first)) {
    if (first.startsWith('-')) throw new UsageError(`unknown flag ${first}; a command comes first: ${COMMANDS.join(', ')}`);
    throw unknownCommand(first);
  }
  const cwd = options.cwd ?? process.cwd();
  switch (first) {
    case 'embed':
      return parseEmbed(rest, cwd);
    case 'cluster':
      return parseCluster(rest, cwd, options.now ?? new Date());
    case 'map':
      return parseMap(rest, cwd);
    case 'export':
      return parseExport(rest, cwd);
    case 'train': {
      const { values, positionals } = readFlags('train', rest, TRAIN_FLAGS);
      if (values.has('help')) return { command: 'help', topic: 'train', text: helpText('train') };
      noPositionals('train', positionals);
      return buildTrain(values, cwd, options.now ?? new Date());
    }
    case 'resume': {
      const { values, positionals } = readFlags('resume', rest, RESUME_FLAGS);
      if (values.has('help')) return { command: 'help', topic: 'resume', text: helpText('resume') };
      const run = onePositional('resume', 'RUN', positionals);
      return {
        command: 'resume',
        run: path.resolve(cwd, run),
        json: values.has('json'),
        backend: values.get('backend') as BackendRequest | undefined,
      };
    }
    case 'inspect': {
      const { values, positionals } = readFlags('inspect', rest, INSPECT_FLAGS);
      if (values.has('help')) return { command: 'help', topic: 'inspect', text: helpText('inspect') };
      const target = onePositional('inspect', 'CHECKPOINT|RUN', positionals);
      return { command: 'inspect', path: path.resolve(cwd, target), json: values.has('json') };
    }
    case 'setup-gpu': {
      const { values, positionals } = readFlags('setup-gpu', rest, SETUP_GPU_FLAGS);
      if (values.has('help')) return { command: 'help', topic: 'setup-gpu', text: helpText('setup-gpu') };
      noPositionals('setup-gpu', positionals);
      return { command: 'setup-gpu', cpu: values.has('cpu') };
    }
    case 'visualize': {
      const { values, positionals } = readFlags('visualize', rest, VISUALIZE_FLAGS);
      if (values.has('help')) return { command: 'help', topic: 'visualize', text: helpText('visualize') };
      const target = onePositional('visualize', 'CHECKPOINT', positionals);
      const layer = values.get('layer');
      if (layer === undefined) throw new UsageError('`deepcluster visualize` needs --layer (e.g. --layer conv3)');
      const num = (flag: string) => (values.has(flag) ? positiveInt(flag, values.get(flag)!) : undefined);
      const lr = values.get('lr');
      return {
        command: 'visualize',
        checkpoint: path.resolve(cwd, target),
        layer,
        filters: values.has('filters') ? indexList('filters', values.get('filters')!) : undefined,
        top: num('top') ?? 9,
        json: values.has('json'),
        backend: values.get('backend') as BackendRequest | undefined,
        iterations: num('iterations'),
        lr: lr === undefined ? undefined : positiveNumber('lr', lr),
      };
    }
    case 'eval': {
      const { values, positionals } = readFlags('eval', rest, EVAL_FLAGS);
      if (values.has('help')) return { command: 'help', topic: 'eval', text: helpText('eval') };
      const target = onePositional('eval', 'CHECKPOINT|RUN', positionals);
      const test = values.get('test');
      return {
        command: 'eval',
        target: path.resolve(cwd, target),
        test: test === undefined ? undefined : path.resolve(cwd, test),
        testLimit: values.has('test-limit') ? positiveInt('test-limit', values.get('test-limit')!) : undefined,
        json: values.has('json'),
        backend: values.get('backend') as BackendRequest | undefined,
      };
    }
    case 'thumbs': {
      const { values, positionals } = readFlags('thumbs', rest, THUMBS_FLAGS);
      if (values.has('help')) return { command: 'help', topic: 'thumbs', text: helpText('thumbs') };
      const target = onePositional('thumbs', 'CHECKPOINT', positionals);
      if (values.has('indices') === values.has('clusters')) throw new UsageError('`deepcluster thumbs` needs either --indices or --clusters');
      const size = values.has('size') ? positiveInt('size', values.get('size')!) : 64;
      if (size > 1024) throw new UsageError(`--size must be at most 1024, got ${size}`);
      return {
        command: 'thumbs',
        checkpoint: path.resolve(cwd, target),
        indices: values.has('indices') ? indexList('indices', values.get('indices')!) : undefined,
        clusters: values.has('clusters') ? indexList('clusters', values.get('clusters')!) : undefined,
        perCluster: values.has('per-cluster') ? positiveInt('per-cluster', values.get('per-cluster')!) : 16,
        size,
        by: (values.get('by') as TypicalBy | undefined) ?? 'centroid',
        json: values.has('json'),
        backend: values.get('backend') as BackendRequest | undefined,
      };
    }
  }
}

function indexList(flag: string, value: string): number[] {
  try {
    return parseIndexList(value);
  } catch (e) {
    throw new UsageError(`--${flag}: ${(e as Error).message}`);
  }
}

function positiveNumber(flag: string, value: string): number {
  const n = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a positive number, got '${value}'`);
  return n;
}

/**
 * Checks that need the dataset (run by the loop once it is opened): an empty dataset, and --k larger than the
 * number of images. Throws UsageError.
 */
export function validateAgainstDataset(config: TrainConfig, images: number): void {
  const where = config.data ?? 'the bundled sample';
  if (images === 0) throw new UsageError(`${config.data ? `the dataset ${config.data}` : where} holds no readable images`);
  if (config.k > images) {
    throw new UsageError(`--k ${config.k} is larger than the number of images (${images}) in ${where}`);
  }
}

/** ./runs/<timestamp>-<arch> with a local timestamp like 20250131-142500. */
export function defaultOutDir(arch: ArchName, now: Date, cwd: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}` +
    `-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return path.resolve(cwd, 'runs', `${stamp}-${arch}`);
}

// ---- internals --------------------------------------------------------------------------------------------

function isCommand(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s);
}

function unknownCommand(s: string): UsageError {
  return new UsageError(`unknown command '${s}'; commands: ${COMMANDS.join(', ')} (see deepcluster --help)`);
}

/**
 * Read flags with node's parseArgs in non-strict mode and check them ourselves, so every error is ours: one
 * line, naming the flag. Returns raw string values ('' for booleans), last occurrence wins.
 */
export function readFlags(command: CommandName, args: string[], specs: Record<string, FlagSpec>) {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, { type: s.kind === 'bool' ? 'boolean' : 'string' } as const]),
  );
  const { tokens } = nodeParseArgs({
    args,
    options: { ...options, h: { type: 'boolean' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<string, string>();
  const positionals: string[] = [];
  for (const token of tokens ?? []) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const name = token.name === 'h' ? 'help' : token.name;
    const spec = specs[name];
    if (!spec) {
      throw new UsageError(`unknown flag ${token.rawName} for \`deepcluster ${command}\` (see deepcluster ${command} --help)`);
    }
    if (spec.kind === 'bool') {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value (got '${token.value}')`);
      values.delete(name); // re-insert so the map's order is the order of last occurrence
      values.set(name, '');
      continue;
    }
    const value = token.value;
    if (value === undefined || value === '' || (!token.inlineValue && /^--[a-z]/.test(value))) {
      throw new UsageError(`--${name} needs a value`);
    }
    values.delete(name);
    values.set(name, value);
  }
  for (const [name, value] of values) {
    const spec = specs[name]!;
    if (spec.kind === 'enum' && !spec.values!.includes(value)) {
      throw new UsageError(`--${name}: unknown ${name} '${value}'; valid: ${spec.values!.join(', ')}`);
    }
  }
  return { values, positionals };
}

export function noPositionals(command: CommandName, positionals: string[]): void {
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}' for \`deepcluster ${command}\` (flags start with --)`);
  }
}

function onePositional(command: CommandName, what: string, positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError(`\`deepcluster ${command}\` needs ${what}`);
  if (positionals.length > 1) throw new UsageError(`\`deepcluster ${command}\` takes one ${what}, got '${positionals[1]}' too`);
  return positionals[0]!;
}

export function positiveInt(flag: string, value: string): number {
  const n = /^\+?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${flag} must be a positive integer, got '${value}'`);
  return n;
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
