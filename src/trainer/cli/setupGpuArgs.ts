// `deepcluster setup-gpu` arguments.
import { helpIfAsked, noPositionals, readFlags, type FlagSpec, type ParseContext, type ParsedHelp } from './flags';

export interface ParsedSetupGpu {
  command: 'setup-gpu';
  /** Install tfjs-node (CPU) instead of tfjs-node-gpu. */
  cpu: boolean;
}

const SETUP_GPU_FLAGS: Record<string, FlagSpec> = { cpu: { kind: 'bool' }, help: { kind: 'bool' } };

export function parseSetupGpu(rest: string[], _ctx: ParseContext): ParsedSetupGpu | ParsedHelp {
  const { values, positionals } = readFlags('setup-gpu', rest, SETUP_GPU_FLAGS);
  const help = helpIfAsked('setup-gpu', values);
  if (help) return help;
  noPositionals('setup-gpu', positionals);
  return { command: 'setup-gpu', cpu: values.has('cpu') };
}
