// `deepcluster thumbs CHECKPOINT` arguments.
import * as path from 'node:path';
import type { TypicalBy } from '../../protocol/analysis';
import { BACKENDS, type BackendRequest } from '../../protocol/config';
import { UsageError } from '../usageError';
import {
  helpIfAsked,
  indexList,
  onePositional,
  positiveInt,
  readFlags,
  type FlagSpec,
  type ParseContext,
  type ParsedHelp,
} from './flags';

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

export function parseThumbs(rest: string[], ctx: ParseContext): ParsedThumbs | ParsedHelp {
  const { values, positionals } = readFlags('thumbs', rest, THUMBS_FLAGS);
  const help = helpIfAsked('thumbs', values);
  if (help) return help;
  const target = onePositional('thumbs', 'CHECKPOINT', positionals);
  if (values.has('indices') === values.has('clusters'))
    throw new UsageError('`deepcluster thumbs` needs either --indices or --clusters');
  const size = values.has('size') ? positiveInt('size', values.get('size')!) : 64;
  if (size > 1024) throw new UsageError(`--size must be at most 1024, got ${size}`);
  return {
    command: 'thumbs',
    checkpoint: path.resolve(ctx.cwd, target),
    indices: values.has('indices') ? indexList('indices', values.get('indices')!) : undefined,
    clusters: values.has('clusters') ? indexList('clusters', values.get('clusters')!) : undefined,
    perCluster: values.has('per-cluster') ? positiveInt('per-cluster', values.get('per-cluster')!) : 16,
    size,
    by: (values.get('by') as TypicalBy | undefined) ?? 'centroid',
    json: values.has('json'),
    backend: values.get('backend') as BackendRequest | undefined,
  };
}
