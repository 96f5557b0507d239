// `deepcluster inspect CHECKPOINT|RUN` arguments.
import * as path from 'node:path';
import { helpIfAsked, onePositional, readFlags, type FlagSpec, type ParseContext, type ParsedHelp } from './flags';

export interface ParsedInspect {
  command: 'inspect';
  path: string;
  json: boolean;
}

const INSPECT_FLAGS: Record<string, FlagSpec> = { json: { kind: 'bool' }, help: { kind: 'bool' } };

export function parseInspect(rest: string[], ctx: ParseContext): ParsedInspect | ParsedHelp {
  const { values, positionals } = readFlags('inspect', rest, INSPECT_FLAGS);
  const help = helpIfAsked('inspect', values);
  if (help) return help;
  const target = onePositional('inspect', 'CHECKPOINT|RUN', positionals);
  return { command: 'inspect', path: path.resolve(ctx.cwd, target), json: values.has('json') };
}
