// `deepcluster import-official EXP_DIR --data IMAGEFOLDER` arguments.
import * as path from 'node:path';
import { UsageError } from '../usageError';
import {
  helpIfAsked,
  defaultOutDir,
  onePositional,
  readFlags,
  type FlagSpec,
  type ParseContext,
  type ParsedHelp,
} from './flags';

export interface ParsedImportOfficial {
  command: 'import-official';
  exp: string;
  data: string;
  out: string;
  json: boolean;
}

const IMPORT_OFFICIAL_FLAGS: Record<string, FlagSpec> = {
  data: { kind: 'path' },
  out: { kind: 'path' },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
};

export function parseImportOfficial(rest: string[], ctx: ParseContext): ParsedImportOfficial | ParsedHelp {
  const { values, positionals } = readFlags('import-official', rest, IMPORT_OFFICIAL_FLAGS);
  const help = helpIfAsked('import-official', values);
  if (help) return help;
  const exp = onePositional('import-official', 'EXP_DIR (the official main.py --exp folder)', positionals);
  if (!values.has('data'))
    throw new UsageError('`deepcluster import-official` needs --data (the image folder the run was trained on)');
  const out = values.get('out');
  return {
    command: 'import-official',
    exp: path.resolve(ctx.cwd, exp),
    data: path.resolve(ctx.cwd, values.get('data')!),
    out: out
      ? path.resolve(ctx.cwd, out)
      : defaultOutDir('smallvgg', ctx.now, ctx.cwd).replace(/-smallvgg$/, '-imported'),
    json: values.has('json'),
  };
}
