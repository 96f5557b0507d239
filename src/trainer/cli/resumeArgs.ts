// `deepcluster resume RUN` arguments.
import * as path from 'node:path';
import { BACKENDS, type BackendRequest } from '../../protocol/config';
import { helpIfAsked, onePositional, readFlags, type FlagSpec, type ParseContext, type ParsedHelp } from './flags';

export interface ParsedResume {
  command: 'resume';
  run: string;
  json: boolean;
  /** Run on another backend than the one recorded (the schedule stays the same). */
  backend?: BackendRequest;
}

const RESUME_FLAGS: Record<string, FlagSpec> = {
  json: { kind: 'bool' },
  backend: { kind: 'enum', values: BACKENDS },
  help: { kind: 'bool' },
};

export function parseResume(rest: string[], ctx: ParseContext): ParsedResume | ParsedHelp {
  const { values, positionals } = readFlags('resume', rest, RESUME_FLAGS);
  const help = helpIfAsked('resume', values);
  if (help) return help;
  const run = onePositional('resume', 'RUN', positionals);
  return {
    command: 'resume',
    run: path.resolve(ctx.cwd, run),
    json: values.has('json'),
    backend: values.get('backend') as BackendRequest | undefined,
  };
}
