// `deepcluster eval CHECKPOINT|RUN` arguments.
import * as path from 'node:path';
import { BACKENDS, type BackendRequest } from '../../protocol/config';
import {
  helpIfAsked,
  onePositional,
  positiveInt,
  readFlags,
  type FlagSpec,
  type ParseContext,
  type ParsedHelp,
} from './flags';

export interface ParsedEval {
  command: 'eval';
  target: string;
  test?: string;
  testLimit?: number;
  json: boolean;
  backend?: BackendRequest;
}

const EVAL_FLAGS: Record<string, FlagSpec> = {
  test: { kind: 'path' },
  'test-limit': { kind: 'posint' },
  backend: { kind: 'enum', values: BACKENDS },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
};

export function parseEval(rest: string[], ctx: ParseContext): ParsedEval | ParsedHelp {
  const { values, positionals } = readFlags('eval', rest, EVAL_FLAGS);
  const help = helpIfAsked('eval', values);
  if (help) return help;
  const target = onePositional('eval', 'CHECKPOINT|RUN', positionals);
  const test = values.get('test');
  return {
    command: 'eval',
    target: path.resolve(ctx.cwd, target),
    test: test === undefined ? undefined : path.resolve(ctx.cwd, test),
    testLimit: values.has('test-limit') ? positiveInt('test-limit', values.get('test-limit')!) : undefined,
    json: values.has('json'),
    backend: values.get('backend') as BackendRequest | undefined,
  };
}
