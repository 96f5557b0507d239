// `deepcluster visualize CHECKPOINT --layer L` arguments.
import * as path from 'node:path';
import { BACKENDS, type BackendRequest } from '../../protocol/config';
import { UsageError } from '../usageError';
import {
  helpIfAsked,
  indexList,
  onePositional,
  positiveInt,
  positiveNumber,
  readFlags,
  type FlagSpec,
  type ParseContext,
  type ParsedHelp,
} from './flags';

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

export function parseVisualize(rest: string[], ctx: ParseContext): ParsedVisualize | ParsedHelp {
  const { values, positionals } = readFlags('visualize', rest, VISUALIZE_FLAGS);
  const help = helpIfAsked('visualize', values);
  if (help) return help;
  const target = onePositional('visualize', 'CHECKPOINT', positionals);
  const layer = values.get('layer');
  if (layer === undefined) throw new UsageError('`deepcluster visualize` needs --layer (e.g. --layer conv3)');
  const num = (flag: string) => (values.has(flag) ? positiveInt(flag, values.get(flag)!) : undefined);
  const lr = values.get('lr');
  return {
    command: 'visualize',
    checkpoint: path.resolve(ctx.cwd, target),
    layer,
    filters: values.has('filters') ? indexList('filters', values.get('filters')!) : undefined,
    top: num('top') ?? 9,
    json: values.has('json'),
    backend: values.get('backend') as BackendRequest | undefined,
    iterations: num('iterations'),
    lr: lr === undefined ? undefined : positiveNumber('lr', lr),
  };
}
