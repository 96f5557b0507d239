// Flags of the commands that take a trained model as input: `embed` (and `cluster`). Same rules as args.ts:
// every bad value is a one-line UsageError naming the flag.
import * as path from 'node:path';
import { BACKENDS, type BackendRequest } from '../../protocol/config';
import { readFlags, noPositionals, positiveInt, UsageError } from './args';
import { helpText } from './help';

export interface ParsedEmbed {
  command: 'embed';
  model: string;
  data: string;
  out: string;
  batchSize: number;
  limit?: number;
  cacheDir?: string;
  backend?: BackendRequest;
  json: boolean;
}

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

export function parseEmbed(rest: string[], cwd: string): ParsedEmbed | { command: 'help'; topic: 'embed'; text: string } {
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
