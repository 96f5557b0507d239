// Flags of `deepcluster map`. Same rules as every command (flags.ts): every bad value is a one-line UsageError naming the flag.
import * as path from 'node:path';
import { BACKENDS, type BackendRequest } from '../../protocol/config';
import { MAP_METHODS, type MapMethod } from '../../protocol/embeddingMap';
import { UsageError } from '../usageError';
import { positiveInt, readFlags } from './flags';
import { helpText } from './help';

export interface ParsedMap {
  command: 'map';
  target: string;
  method: MapMethod;
  force: boolean;
  json: boolean;
  backend?: BackendRequest;
  epochs?: number;
  neighbors?: number;
  seed?: number;
}

const MAP_FLAGS = {
  method: { kind: 'enum', values: MAP_METHODS },
  force: { kind: 'bool' },
  epochs: { kind: 'posint' },
  neighbors: { kind: 'posint' },
  seed: { kind: 'posint' },
  backend: { kind: 'enum', values: BACKENDS },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
} as const;

export function parseMap(rest: string[], cwd: string): ParsedMap | { command: 'help'; topic: 'map'; text: string } {
  const { values, positionals } = readFlags('map', rest, MAP_FLAGS);
  if (values.has('help')) return { command: 'help', topic: 'map', text: helpText('map') };
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length
        ? `\`deepcluster map\` takes one CHECKPOINT|RUN, got '${positionals[1]}' too`
        : '`deepcluster map` needs CHECKPOINT|RUN',
    );
  const num = (flag: string) => (values.has(flag) ? positiveInt(flag, values.get(flag)!) : undefined);
  const neighbors = num('neighbors');
  if (neighbors !== undefined && (neighbors < 2 || neighbors > 100))
    throw new UsageError(`--neighbors must be from 2 to 100, got ${neighbors}`);
  return {
    command: 'map',
    target: path.resolve(cwd, positionals[0]!),
    method: (values.get('method') as MapMethod | undefined) ?? 'umap',
    force: values.has('force'),
    json: values.has('json'),
    backend: values.get('backend') as BackendRequest | undefined,
    epochs: num('epochs'),
    neighbors,
    seed: num('seed'),
  };
}
