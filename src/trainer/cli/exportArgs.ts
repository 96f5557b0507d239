// Flags of `deepcluster export`. Same rules as every command (flags.ts): every bad value is a one-line UsageError naming the flag.
import * as path from 'node:path';
import type { ExportFormat, ExportMode } from '../../protocol/curation';
import { UsageError } from '../usageError';
import { readFlags } from './flags';
import { helpText } from './help';

export interface ParsedExport {
  command: 'export';
  run: string;
  out: string;
  epoch?: number;
  format: ExportFormat;
  mode: ExportMode;
  json: boolean;
}

const EXPORT_FLAGS = {
  out: { kind: 'path' },
  epoch: { kind: 'text' },
  format: { kind: 'enum', values: ['imagefolder', 'csv'] },
  mode: { kind: 'enum', values: ['symlink', 'copy'] },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
} as const;

export function parseExport(
  rest: string[],
  cwd: string,
): ParsedExport | { command: 'help'; topic: 'export'; text: string } {
  const { values, positionals } = readFlags('export', rest, EXPORT_FLAGS);
  if (values.has('help')) return { command: 'help', topic: 'export', text: helpText('export') };
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length
        ? `\`deepcluster export\` takes one RUN, got '${positionals[1]}' too`
        : '`deepcluster export` needs RUN',
    );
  const out = values.get('out');
  if (out === undefined)
    throw new UsageError('`deepcluster export` needs --out (a folder for imagefolder, a file for csv)');
  const epoch = values.get('epoch');
  if (epoch !== undefined && !/^\d+$/.test(epoch))
    throw new UsageError(`--epoch must be a checkpoint epoch (0, 1, ...), got '${epoch}'`);
  return {
    command: 'export',
    run: path.resolve(cwd, positionals[0]!),
    out: path.resolve(cwd, out),
    epoch: epoch === undefined ? undefined : Number(epoch),
    format: (values.get('format') as ExportFormat | undefined) ?? 'imagefolder',
    mode: (values.get('mode') as ExportMode | undefined) ?? 'symlink',
    json: values.has('json'),
  };
}
