// Flags of the commands that take a trained model as input: `embed` and `cluster`. Same rules as args.ts:
// every bad value is a one-line UsageError naming the flag.
import * as path from 'node:path';
import { BACKENDS, type BackendRequest } from '../../protocol/config';
import { UsageError } from '../usageError';
import { defaultOutDir, readFlags, noPositionals, positiveInt } from './flags';
import { helpText } from './help';
// Types only: parsing arguments loads no tfjs.
import type { ClusterOptions } from '../pretrained/cluster';
import type { EmbedOptions } from '../pretrained/embed';

/** The command's own options (pretrained/embed.ts) plus --json. */
export type ParsedEmbed = { command: 'embed'; json: boolean } & EmbedOptions;

const EMBED_FLAGS = {
  model: { kind: 'path' },
  data: { kind: 'path' },
  out: { kind: 'path' },
  'batch-size': { kind: 'posint' },
  limit: { kind: 'posint' },
  cache: { kind: 'path' },
  backend: { kind: 'enum', values: BACKENDS },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
} as const;

export function parseEmbed(
  rest: string[],
  cwd: string,
): ParsedEmbed | { command: 'help'; topic: 'embed'; text: string } {
  const { values, positionals } = readFlags('embed', rest, EMBED_FLAGS);
  if (values.has('help')) return { command: 'help', topic: 'embed', text: helpText('embed') };
  noPositionals('embed', positionals);
  const required = (flag: string) => {
    const v = values.get(flag);
    if (v === undefined) throw new UsageError(`\`deepcluster embed\` needs --${flag}`);
    return path.resolve(cwd, v);
  };
  const model = required('model');
  const data = required('data');
  const out = required('out');
  if (!out.endsWith('.npy')) throw new UsageError(`--out must name a .npy file, got '${values.get('out')}'`);
  const num = (flag: string) => (values.has(flag) ? positiveInt(flag, values.get(flag)!) : undefined);
  return {
    command: 'embed',
    model,
    data,
    out,
    batchSize: num('batch-size') ?? 32,
    limit: num('limit'),
    cacheDir: values.has('cache') ? path.resolve(cwd, values.get('cache')!) : undefined,
    backend: values.get('backend') as BackendRequest | undefined,
    json: values.has('json'),
  };
}

/** The command's own options (pretrained/cluster.ts, --json included). */
export type ParsedCluster = { command: 'cluster' } & ClusterOptions;

const CLUSTER_FLAGS = {
  ...EMBED_FLAGS,
  k: { kind: 'posint' },
  pca: { kind: 'posint' },
  seed: { kind: 'posint' },
} as const;

export function parseCluster(
  rest: string[],
  cwd: string,
  now: Date,
): ParsedCluster | { command: 'help'; topic: 'cluster'; text: string } {
  const { values, positionals } = readFlags('cluster', rest, CLUSTER_FLAGS);
  if (values.has('help')) return { command: 'help', topic: 'cluster', text: helpText('cluster') };
  noPositionals('cluster', positionals);
  for (const flag of ['model', 'data'])
    if (!values.has(flag)) throw new UsageError(`\`deepcluster cluster\` needs --${flag}`);
  const num = (flag: string) => (values.has(flag) ? positiveInt(flag, values.get(flag)!) : undefined);
  const k = num('k');
  if (k !== undefined && k < 2) throw new UsageError(`--k must be at least 2, got ${k}`);
  const out = values.get('out');
  return {
    command: 'cluster',
    model: path.resolve(cwd, values.get('model')!),
    data: path.resolve(cwd, values.get('data')!),
    // runs/<timestamp>-pretrained, as train's runs/<timestamp>-<arch>
    out: out ? path.resolve(cwd, out) : defaultOutDir('smallvgg', now, cwd).replace(/-smallvgg$/, '-pretrained'),
    k,
    pca: num('pca'),
    batchSize: num('batch-size') ?? 32,
    limit: num('limit'),
    cacheDir: values.has('cache') ? path.resolve(cwd, values.get('cache')!) : undefined,
    backend: values.get('backend') as BackendRequest | undefined,
    seed: num('seed'),
    json: values.has('json'),
  };
}
