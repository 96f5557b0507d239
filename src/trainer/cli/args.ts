// Command-line parsing for `deepcluster`: the command comes first, then that command's own parser
// (<command>Args.ts; the flag reading they share is flags.ts). Every bad value becomes a one-line UsageError that
// names the flag; the CLI's main prints it and exits with status 2.
import { UsageError } from '../usageError';
import { parseEval, type ParsedEval } from './evalArgs';
import type { ParsedHelp } from './flags';
import { COMMANDS, helpText, type CommandName } from './help';
import { parseImportOfficial, type ParsedImportOfficial } from './importOfficialArgs';
import { parseInspect, type ParsedInspect } from './inspectArgs';
import { parseCluster, parseEmbed, type ParsedCluster, type ParsedEmbed } from './pretrainedArgs';
import { parseExport, type ParsedExport } from './exportArgs';
import { parseMap, type ParsedMap } from './mapArgs';
import { parseResume, type ParsedResume } from './resumeArgs';
import { parseSetupGpu, type ParsedSetupGpu } from './setupGpuArgs';
import { parseThumbs, type ParsedThumbs } from './thumbsArgs';
import { parseTrain, type ParsedTrain } from './trainArgs';
import { parseVisualize, type ParsedVisualize } from './visualizeArgs';

export { UsageError };
export type {
  ParsedEval,
  ParsedHelp,
  ParsedImportOfficial,
  ParsedInspect,
  ParsedResume,
  ParsedSetupGpu,
  ParsedThumbs,
  ParsedTrain,
  ParsedVisualize,
};

export type ParsedCommand =
  | ParsedTrain
  | ParsedResume
  | ParsedInspect
  | ParsedSetupGpu
  | ParsedHelp
  | ParsedVisualize
  | ParsedThumbs
  | ParsedEval
  | ParsedEmbed
  | ParsedCluster
  | ParsedImportOfficial
  | ParsedMap
  | ParsedExport;

export interface ParseOptions {
  /** Base for relative paths (default process.cwd()). */
  cwd?: string;
  /** Clock for the default --out name. */
  now?: Date;
}

/** Each command's parser: its arguments after the command name. */
const PARSERS: Record<CommandName, (rest: string[], ctx: { cwd: string; now: Date }) => ParsedCommand> = {
  train: parseTrain,
  resume: parseResume,
  inspect: parseInspect,
  eval: parseEval,
  'setup-gpu': parseSetupGpu,
  visualize: parseVisualize,
  thumbs: parseThumbs,
  embed: (rest, ctx) => parseEmbed(rest, ctx.cwd),
  cluster: (rest, ctx) => parseCluster(rest, ctx.cwd, ctx.now),
  'import-official': parseImportOfficial,
  map: (rest, ctx) => parseMap(rest, ctx.cwd),
  export: (rest, ctx) => parseExport(rest, ctx.cwd),
};

/** Parse `deepcluster` arguments (without node and the script: process.argv.slice(2)). Throws UsageError. */
export function parseArgs(argv: readonly string[], options: ParseOptions = {}): ParsedCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !isCommand(topic)) throw unknownCommand(topic);
    return { command: 'help', topic, text: helpText(topic) };
  }
  if (!isCommand(first)) {
    if (first.startsWith('-'))
      throw new UsageError(`unknown flag ${first}; a command comes first: ${COMMANDS.join(', ')}`);
    throw unknownCommand(first);
  }
  return PARSERS[first](rest, { cwd: options.cwd ?? process.cwd(), now: options.now ?? new Date() });
}

function isCommand(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s);
}

function unknownCommand(s: string): UsageError {
  return new UsageError(`unknown command '${s}'; commands: ${COMMANDS.join(', ')} (see deepcluster --help)`);
}
